"""The Python example of the repository's README.md runs as written."""

import pathlib
import re


def test_the_readme_example_runs(capsys):
    readme = pathlib.Path(__file__).resolve().parents[2] / "README.md"
    examples = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
    assert examples, "README.md has no Python example"
    for example in examples:
        exec(compile(example, str(readme), "exec"), {})
    printed = capsys.readouterr().out
    assert "total" in printed and "36.75" in printed
    assert "FINISHED" in printed
