#!/usr/bin/env bash
# Backup/restore round trip on a running demo (SQLite), in a scratch directory:
#
#   1. a demo site (migrate + load_demo) with a few submitted applications and material
#      files, served by gunicorn with the task worker and the statistics fold beside it,
#      as `make run` does, while a separate process keeps submitting applications;
#   2. `manage.py backup --include-keys` while all that runs, then `manage.py restore` onto a
#      fresh "machine" (other database file, storage and key directories): it must verify;
#   3. the writer stopped, a backup without keys (keys copied separately, as docs/deploy.md
#      advises) restored onto another fresh machine: `audit_verify` output, row counts and
#      audit chain heads must equal the source's exactly;
#   4. a tampered copy of that archive must be refused (non-zero exit, nothing restored).
#
# Usage: bench/backup_roundtrip.sh   (from the repository root or anywhere; needs .venv)
# Exit status 0 only if every step above held. The scratch directory is removed on success
# and kept (its path printed) on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK=$(mktemp -d /tmp/tongban-roundtrip.XXXXXX)
PORT=${PORT:-18437}
ITEM=11430600DE000001403000101002000  # a demo item without situation questions
export TONGBAN_DEMO=1
unset DATABASE_URL TONGBAN_STORAGE_DIR TONGBAN_KEY_DIR TONGBAN_LICENCE_KEY_DIR

# One machine's database, storage and keys as environment assignments (no spaces in $WORK).
machine_env() {
  echo "DATABASE_URL=sqlite:///$WORK/$1/tongban.sqlite3 TONGBAN_STORAGE_DIR=$WORK/$1/storage" \
    "TONGBAN_KEY_DIR=$WORK/$1/keys"
}
# on <machine> <command…>: run a command against that machine.
on() {
  local machine=$1
  shift
  env $(machine_env "$machine") "$@"
}
# Background processes are started as `env $(machine_env …) cmd &`, not through `on`: a
# backgrounded function is a subshell, and $! would be its id, not the process to stop.
facts() {  # row counts and audit chain heads as one JSON line
  on "$1" $PY manage.py shell -v 0 -c "
import json
from tongban.core.backup import live_facts
f = live_facts()
print(json.dumps({'counts': f.counts, 'heads': f.chain_heads}, sort_keys=True))"
}
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}
trap 'cleanup; echo "FAILED — scratch directory kept: $WORK"' ERR
trap cleanup EXIT

echo "== 1. demo site in $WORK/src"
mkdir -p "$WORK/src"
on src $PY manage.py migrate --noinput --verbosity 0
on src $PY manage.py load_demo --quiet-logins
on src $PY manage.py shell -v 0 -c "
from tests.case_helpers import submit, accept
from tongban.core.models import User
citizen = User.objects.get(username='citizen')
for _ in range(5):
    application = submit(citizen, item='$ITEM')
accept(application.cases.get().case_no)  # 即办: decided at acceptance
print('seeded: 5 applications, one accepted and decided')"
env $(machine_env src) $PY manage.py db_worker --no-reload --interval 5 >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
env $(machine_env src) $PY manage.py stats_fold --follow --interval 2 >"$WORK/fold.log" 2>&1 &
PIDS+=($!)
env $(machine_env src) .venv/bin/gunicorn tongban.wsgi --bind "127.0.0.1:$PORT" --workers 2 --threads 4 \
  >"$WORK/gunicorn.log" 2>&1 &
PIDS+=($!)
env $(machine_env src) $PY manage.py shell -v 0 -c "
from pathlib import Path
from tests.case_helpers import submit
from tongban.core.models import User
citizen = User.objects.get(username='citizen')
stop, count = Path('$WORK/stop-writer'), 0
while not stop.exists() and count < 5000:
    submit(citizen, item='$ITEM')
    count += 1
print(f'writer: {count} applications submitted (from before the backup until after the restore)')" &
WRITER=$!
PIDS+=($WRITER)
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/catalog/bundles" 2>/dev/null && break
  sleep 0.2
done
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/catalog/bundles")
echo "service answers: GET /api/v1/catalog/bundles -> $STATUS"
[ "$STATUS" = 200 ] || { tail -40 "$WORK/gunicorn.log"; false; }
sleep 2

echo "== 2. backup while the service and the writer run, restore onto a fresh machine"
on src $PY manage.py backup "$WORK/backups/live.tar.gz" --include-keys
mkdir -p "$WORK/dst1"
on dst1 $PY manage.py restore "$WORK/backups/live.tar.gz"
on dst1 $PY manage.py audit_verify
touch "$WORK/stop-writer"
wait "$WRITER"
echo "source after the writer stopped: $(facts src)"

echo "== 3. quiet backup without keys, keys copied separately, restore, compare"
sleep 3  # let the fold catch up (it only appends rollup rows; not part of the comparison)
on src $PY manage.py backup "$WORK/backups/quiet.tar"
mkdir -p "$WORK/dst2"
cp -a "$WORK/src/keys" "$WORK/dst2/keys"
on dst2 $PY manage.py restore "$WORK/backups/quiet.tar"
SRC_VERIFY=$(on src $PY manage.py audit_verify)
DST_VERIFY=$(on dst2 $PY manage.py audit_verify)
SRC_FACTS=$(facts src)
DST_FACTS=$(facts dst2)
echo "source   audit_verify: $SRC_VERIFY"
echo "restored audit_verify: $DST_VERIFY"
echo "source   facts: $SRC_FACTS"
echo "restored facts: $DST_FACTS"
[ "$SRC_VERIFY" = "$DST_VERIFY" ] && [ "$SRC_FACTS" = "$DST_FACTS" ]
echo "identical: audit_verify output, row counts and chain heads"

echo "== 4. a tampered archive is refused"
$PY - "$WORK/backups/quiet.tar" "$WORK/backups/tampered.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1]) as old, tarfile.open(sys.argv[2], "w") as new:
    done = False
    for member in old:
        data = old.extractfile(member).read()
        if not done and member.name.startswith("files/"):
            data, done = data + b"tampered", True
        info = tarfile.TarInfo(member.name)
        info.size = len(data)
        new.addfile(info, io.BytesIO(data))
EOF
mkdir -p "$WORK/dst3"
if on dst3 $PY manage.py restore "$WORK/backups/tampered.tar"; then
  echo "FAILED: the tampered archive was restored"
  exit 1
fi
[ ! -e "$WORK/dst3/storage" ]
echo "refused as expected; nothing was written to $WORK/dst3/storage"

cleanup
rm -rf "$WORK" 2>/dev/null || { sleep 2; rm -rf "$WORK"; }  # a last WAL file may be closing
echo "ROUND TRIP OK"
