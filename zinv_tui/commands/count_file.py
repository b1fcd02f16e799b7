"""Reading a count file for ``import-counts`` with bounds: a wrong file (``/dev/zero``, a video,
a log) is refused at once with a message instead of filling the memory."""

from __future__ import annotations

from pathlib import Path

from zinv_tui.commands.exit_codes import CommandError, ExitCode

MAX_COUNT_FILE_BYTES = 32 * 1024 * 1024
"""A count file larger than this is refused (46,000 variants take about 1.5 MB)."""
MAX_COUNT_LINE_BYTES = 4096
"""A line longer than this is refused (a count line is a code and a number)."""


def read_count_file(path: Path) -> str:
    """The file's text, refused early when it is too big, has too long a line or is not UTF-8."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_COUNT_FILE_BYTES + 1)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}", ExitCode.USAGE) from None
    if len(data) > MAX_COUNT_FILE_BYTES:
        raise CommandError(
            f"{path} is larger than {MAX_COUNT_FILE_BYTES // 2**20} MB; a count file has one "
            "short line per variant - split it or check that it is the right file",
            ExitCode.USAGE,
        )
    start, number = 0, 1
    while True:
        end = data.find(b"\n", start)
        if (len(data) if end == -1 else end) - start > MAX_COUNT_LINE_BYTES:
            raise CommandError(
                f"{path}: line {number} is longer than {MAX_COUNT_LINE_BYTES:,} bytes; is it a "
                "CSV of counts?",
                ExitCode.USAGE,
            )
        if end == -1:
            break
        start, number = end + 1, number + 1
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CommandError(
            f"{path} is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); save it "
            "as UTF-8 CSV",
            ExitCode.USAGE,
        ) from None
