"""Reading the linkage input CSV: the INPUT header (extra columns after it are ignored, e.g. the
generator's ``truth_person``), one error per bad row with its line number."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from healthcard.identity.features import NormalizedRecord, RecordError, normalize_record

INPUT_HEADER: tuple[str, ...] = (
    "record_id",
    "source",
    "id_type",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "phone",
    "address",
)
"""Columns of ``healthcard empi link`` input, in this order."""

OUTPUT_HEADER: tuple[str, ...] = ("record_id", "person_id", "match_probability")


@dataclass(frozen=True)
class RowError:
    """A row that was skipped: its 1-based line (header = line 1), record id if known, why."""

    line: int
    record_id: str | None
    message: str

    def __str__(self) -> str:
        return f"记录号 {self.record_id or '（未知）'}：{self.message}"


class InputFileError(ValueError):
    """The input file as a whole cannot be read (missing, wrong header); nothing was linked."""


_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""Bytes that were not UTF-8, kept by the surrogateescape error handler."""

_FIELD_LABELS = {
    "record_id": "记录号",
    "source": "来源",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "phone": "电话",
    "address": "地址",
}


def read_input(
    path: str | Path, *, on_error: Callable[[RowError], None] | None = None
) -> tuple[list[NormalizedRecord], list[RowError]]:
    """Read and normalize an input CSV; bad rows are skipped, reported (and passed to on_error)."""
    records: list[NormalizedRecord] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, row, problem in _rows(Path(path)):
        record_id = row[0].strip() if row and row[0].strip() else None
        if problem is None:
            try:
                record = normalize_record(dict(zip(INPUT_HEADER, row, strict=True)))
            except RecordError as exc:
                label = _FIELD_LABELS.get(exc.field, exc.field)
                problem = f"{label}（{exc.field}）：{exc.message}"
            else:
                if record.record_id in seen:
                    problem = f"记录号 {record.record_id} 与第 {seen[record.record_id]} 行重复。"
                else:
                    seen[record.record_id] = line
                    records.append(record)
                    continue
        error = RowError(line, record_id, problem)
        errors.append(error)
        if on_error is not None:
            on_error(error)
    return records, errors


def _rows(path: Path) -> Iterator[tuple[int, list[str], str | None]]:
    """(line, fields, problem) for each data row; the header is checked first."""
    try:
        handle = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise InputFileError(f"无法打开输入文件 {path}：{exc.strerror}。") from exc
    with handle:
        reader = csv.reader(handle, strict=True)
        width = _check_header(path, reader)
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, [], f"CSV 格式错误：{exc}。"
                continue
            if not row or row == [""]:
                continue
            problem = _row_problem(row, width)
            yield line, row[: len(INPUT_HEADER)] if problem is None else row, problem


def _check_header(path: Path, reader: Iterator[list[str]]) -> int:
    """The number of columns; the first ones must be the INPUT header, in order."""
    expected = ",".join(INPUT_HEADER)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    if tuple(h.strip() for h in header[: len(INPUT_HEADER)]) != INPUT_HEADER:
        found = ",".join(header) if header else "（空）"
        raise InputFileError(
            f"输入文件 {path} 的表头（第 1 行）应为：{expected}；实际为：{found}。"
        )
    return len(header)


def _row_problem(row: list[str], width: int) -> str | None:
    if len(row) != width:
        return f"应有 {width} 列，实际为 {len(row)} 列。"
    for field_name, value in zip(INPUT_HEADER, row, strict=False):
        if _UNDECODABLE.search(value):
            label = _FIELD_LABELS[field_name]
            return f"{label}（{field_name}）不是有效的 UTF-8 文本。"
    return None
