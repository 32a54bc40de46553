"""One exception type for every user mistake: it renders as one clear line."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: names where (file, key), what is wrong and what is valid.

    The CLI prints ``str(error)`` on one line and exits with code 2.
    """

    def __init__(
        self,
        problem: str,
        *,
        key: str | None = None,
        source: str | None = None,
        valid: str | None = None,
    ) -> None:
        self.problem = problem
        self.key = key
        self.source = source
        self.valid = valid
        super().__init__(self._render())

    def _render(self) -> str:
        where = ": ".join(part for part in (self.source, self.key) if part)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.valid:
            text += f" (valid: {self.valid})"
        return " ".join(text.split())

    def located(self, *, source: str | None = None, key: str | None = None) -> InputError:
        """The same error with a file and/or key filled in where still missing."""
        return InputError(
            self.problem,
            key=self.key if self.key else key,
            source=self.source if self.source else source,
            valid=self.valid,
        )
