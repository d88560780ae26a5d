"""The media directory: content-hashed files, written atomically, read by name."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

NAME_PATTERN = re.compile(r"[0-9a-f]{32}\.webp")


class MediaStore:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path(self, name: str) -> Path | None:
        """The file called `name`, or None for a name the shop never writes or a file that is gone."""
        if not NAME_PATTERN.fullmatch(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def write(self, name: str, data: bytes) -> None:
        """A reader sees the whole file or none: a temporary file renamed into place."""
        if self.path(name) is not None:
            return  # same name, same bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> None:
        if NAME_PATTERN.fullmatch(name):
            (self.directory / name).unlink(missing_ok=True)
