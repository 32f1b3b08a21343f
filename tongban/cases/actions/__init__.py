"""Write side of applications and cases: one function per use case (DESIGN.md)."""
