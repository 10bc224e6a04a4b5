"""Print one of the two commands the README opens with: `app` (first) or `test` (second).

CI runs the README's own test command through this, so the README cannot drift from CI.
"""

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_commands() -> list[str]:
    blocks = re.findall(
        r"```(?:bash|sh|console)?\n(.*?)```", README.read_text(encoding="utf-8"), re.S
    )
    return [line.strip() for block in blocks[:2] for line in block.splitlines() if line.strip()][:2]


if __name__ == "__main__":
    app, test = readme_commands()
    print({"app": app, "test": test}[sys.argv[1]])
