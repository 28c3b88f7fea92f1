"""Regenerate default-key.xls: an HTSD-01 workbook that Excel's default key encrypts.

Excel and LibreOffice encrypt an .xls whose workbook structure is protected with the key
"VelvetSweatshop": it opens without a password, but calamine sees a FILEPASS record and refuses
it. msoffcrypto-tool cannot encrypt .xls, so LibreOffice writes it: an .ods made from the test
corpus gets table:structure-protected="true" and is converted to .xls (MS Excel 97 filter).

    .venv/bin/python tests/data/make_default_key_xls.py   # needs soffice on PATH
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from builders.corpus import Book, default_info, village, write_ods  # noqa: E402


def main() -> None:
    book = Book(
        info=default_info(school_code="KP044", school_name="Trường Mầm non Sao Mai", commune="Krông Năng"),
        villages=[village("Thôn Sao Mai", 90), village("Buôn Krông", 70)],
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plain = write_ods(book, tmp / "plain.ods")
        protected = tmp / "default-key.ods"
        with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(protected, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "content.xml":
                    data = data.replace(
                        b"<office:spreadsheet>",
                        b'<office:spreadsheet table:structure-protected="true">',
                        1,
                    )
                    assert b"structure-protected" in data
                zout.writestr(info, data)
        exe = shutil.which("soffice") or shutil.which("libreoffice")
        profile = tmp / "profile"
        subprocess.run(
            [
                exe,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "xls:MS Excel 97",
                "--outdir",
                str(tmp),
                str(protected),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.copyfile(tmp / "default-key.xls", HERE / "default-key.xls")
    print(HERE / "default-key.xls")


if __name__ == "__main__":
    main()
