"""Pure dataclasses and rules: no I/O, no Qt, no AWS SDK."""
