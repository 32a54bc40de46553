"""Pure, batch-first mechanism math: no Mesa, no I/O, no globals."""
