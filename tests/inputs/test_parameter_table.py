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


def test_the_terraform_migration_page_names_real_parameters_and_keys():
    import re
    from pathlib import Path

    from planar_cfn.inputs.parameter_table import SPECS_BY_NAME

    page = (Path(__file__).resolve().parents[2] / "docs" / "terraform-migration.md").read_text()
    rows = re.findall(r"^\| [^|]+ \| `([A-Z][A-Za-z]+)` \| `([a-z_]+)`", page, flags=re.M)
    assert len(rows) >= 19
    for name, key in rows:
        assert SPECS_BY_NAME[name].key == key, name
