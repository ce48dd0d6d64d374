"""The parameter table is the one docs/stages-and-parameters.md documents: every
parameter with its stage-file key (or the environment, for a secret) and its default."""

from planar_cfn.inputs.parameter_table import SPECS


def test_the_docs_document_every_parameter_with_its_key_and_default():
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "stages-and-parameters.md"
    table = page.read_text().split("## Parameters", 1)[1].split("\n## ", 1)[0]
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in table.splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == {spec.name for spec in SPECS}
    for spec in SPECS:
        row = rows[spec.name]
        key = "(environment only)" if spec.secret else f"`{spec.key}`"
        assert key in row, spec.name
        if spec.default not in (None, "") and spec.name != "BedrockModelIds":
            assert f"`{spec.default}`" in row, spec.name
