"""Applicants ready to submit over HTTP: accounts, API tokens, uploaded materials, JSON bodies.

    DATABASE_URL=... .venv/bin/python bench/submit_fixture.py --accounts 200 --out var/submit.json

For the submission benchmark (bench/bench_submit.py), the crash-safety run
(bench/crash_safety.py) and the load profile (bench/locustfile.py). Idempotent: accounts
`bench-0001`… are created once (citizens with valid resident IDs), each gets a fresh API
token and its own uploads; the demo catalog is loaded if the database has none.

Every body is a complete online application (`POST /api/v1/applications`), answered so that
the plan is one of:
- `newborn` (新生儿出生一件事): five items — 出生医学证明, 预防接种证, 出生登记, 新生儿医保参保,
  社会保障卡 — two uploads by reference (户口簿, 结婚证), four materials checked against the
  registers and one produced inside the bundle (the birth certificate);
- `school_enrolment` (教育入学一件事): the enrolment-morning surge of the load profile.
The materials are uploaded once per account; every submission references the same uploads,
as a citizen re-using a file from their material library does.

The output: {"applicants": [{"username", "token", "bodies": {bundle: body}}], "staff":
{username: token}} (staff tokens for `--staff approver-yy-renshe,…`, existing accounts).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TONGBAN_DEMO", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import transaction  # noqa: E402

from tongban.cases.actions.uploads import upload_material  # noqa: E402
from tongban.cases.plans import resolve_plan  # noqa: E402
from tongban.catalog.checklist import Checklist, build_checklist  # noqa: E402
from tongban.catalog.enums import FieldKind, MaterialSource, Necessity  # noqa: E402
from tongban.catalog.store import published_bundle_specs  # noqa: E402
from tongban.core.api_auth import _create_token  # noqa: E402
from tongban.core.identifiers import make_resident_id  # noqa: E402
from tongban.core.models import Role, RoleAssignment, User  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWERS: dict[str, dict[str, Any]] = {
    "newborn": {
        "born_here": "yes",
        "parents_hukou": "both_local",
        "want_insure": "yes",
        "want_card": "yes",
        "mother_insured": "no",
        "married": "yes",
        "card_holder": "minor",
    },
}
SAMPLE: dict[str, Any] = {
    FieldKind.TEXT: "张小明",
    FieldKind.DATE: "2026-11-01",
    FieldKind.NUMBER: 3200,
    FieldKind.PHONE: "13807300001",
    FieldKind.ADDRESS: "湖南省岳阳市岳阳楼区金鹗中路1号",
}


def resident_id(serial: int) -> str:
    # 430602 岳阳楼区, born 1990-01-01 plus serial days' worth of sequence numbers.
    return make_resident_id(f"43060219900101{serial % 1000:03d}"[:17])


def answered(bundle: str) -> tuple[dict[str, Any], Checklist]:
    """The bundle's answers: fixed for newborn, else each question's first option."""
    plan = resolve_plan(bundle, None).plan
    answers = dict(ANSWERS.get(bundle, {}))
    for _ in range(10):
        checklist = build_checklist(plan, answers)
        if not checklist.questions:
            return answers, checklist
        for question in checklist.questions:
            first = question.options[0][0] if question.options else "yes"
            answers[question.key] = [first] if "multi" in str(question.kind) else first
    raise SystemExit(f"{bundle}: the questions do not settle")


def form_for(checklist: Checklist, id_number: str) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for field in checklist.fields:
        if field.kind == FieldKind.FILE:
            continue
        if field.kind == FieldKind.CHOICE:
            form[field.key] = field.options[0][0]
        elif field.kind == FieldKind.RESIDENT_ID:
            form[field.key] = id_number
        elif field.kind in SAMPLE:
            form[field.key] = SAMPLE[field.kind]
    return form


def account(serial: int) -> User:
    username = f"bench-{serial:04d}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=f"压测用户{serial:04d}")
        user.id_number = resident_id(serial)
        user.phone = f"138{serial:08d}"
        user.set_unusable_password()
        user.save()
        RoleAssignment.objects.create(user=user, role=Role.CITIZEN)
    return user


def materials_for(checklist: Checklist, owner: User) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for material in checklist.materials:
        if material.produced_by is not None or material.necessity == Necessity.OPTIONAL:
            continue
        if material.source == MaterialSource.COMMITMENT:
            chosen[material.key] = {"provision": "commitment", "agreed": True}
        elif material.source in (MaterialSource.UPLOAD, MaterialSource.LICENCE):
            upload = upload_material(
                owner, SimpleUploadedFile(f"{material.key}.pdf", PDF, "application/pdf")
            )
            chosen[material.key] = {"provision": "upload", "upload": str(upload.public_id)}
    return chosen


def prepare(accounts: int, bundles: list[str]) -> list[dict[str, Any]]:
    if not published_bundle_specs():
        from django.core.management import call_command

        call_command("load_demo", verbosity=0)
    plans = {bundle: answered(bundle) for bundle in bundles}
    rows = []
    for serial in range(1, accounts + 1):
        with transaction.atomic():
            user = account(serial)
            token, _ = _create_token(user)
            bodies = {
                bundle: {
                    "bundle": bundle,
                    "channel": "web",
                    "answers": answers,
                    "form": form_for(checklist, user.id_number),
                    "materials": materials_for(checklist, user),
                }
                for bundle, (answers, checklist) in plans.items()
            }
        rows.append({"username": user.username, "token": token, "bodies": bodies})
    return rows


def staff_tokens(usernames: list[str]) -> dict[str, str]:
    """API tokens for existing staff accounts (the steady profile's approvers)."""
    tokens = {}
    for username in usernames:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise SystemExit(f"no account {username!r}")
        tokens[username] = _create_token(user)[0]
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--bundles", default="newborn,school_enrolment")
    parser.add_argument("--staff", default="", help="staff usernames, comma-separated")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    fixture = {
        "applicants": prepare(args.accounts, args.bundles.split(",")),
        "staff": staff_tokens([u for u in args.staff.split(",") if u]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")
    print(f"{len(fixture['applicants'])} applicants, {len(fixture['staff'])} staff → {args.out}")


if __name__ == "__main__":
    main()
