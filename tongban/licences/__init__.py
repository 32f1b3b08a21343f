"""Electronic licences (电子证照): identifiers, signed records, offline-verifiable QR payloads."""
