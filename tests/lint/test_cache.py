"""The lint cache: a hit only for the same template, settings and cfn-lint release;
a broken entry is linted again and rewritten; --no-cache neither reads nor writes;
and a cached build says and writes what an uncached one does."""

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from planar_cfn.cli import commands as cli
from planar_cfn.cli import summary
from planar_cfn.lint import cache as lint_cache
from planar_cfn.lint import runner as lint
from planar_cfn.lint.cache import LintCache, lint_cached
from planar_cfn.lint.runner import Finding

ROOT = Path(__file__).resolve().parents[2]
# Two findings: W2001 (an unused parameter) and I3011 (no UpdateReplacePolicy).
BODY = json.dumps(
    {
        "Parameters": {"Unused": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    },
    indent=2,
)
OTHER = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}, indent=2)
REGIONS = ("us-east-1",)


@pytest.fixture
def cache(tmp_path):
    return LintCache(tmp_path)


@pytest.fixture
def linted(monkeypatch):
    """Every template that reaches cfn-lint, by name; the real lint still runs."""
    seen: list[str] = []
    real = lint.lint_bodies

    def counting(bodies, regions=None, **options):
        seen.extend(bodies)
        return real(bodies, regions, **options)

    monkeypatch.setattr(lint, "lint_bodies", counting)
    return seen


def entries(cache):
    return sorted(cache.directory.glob("*.json"))


def test_the_same_inputs_hit_and_give_the_same_findings(cache, linted):
    first = lint_cached({"a": BODY}, cache, REGIONS)
    second = lint_cached({"b": BODY}, cache, REGIONS)
    assert linted == ["a"]
    assert (first.cached, second.cached) == (frozenset(), {"b"})
    assert [f.rule for f in first.findings["a"]] == ["W2001"]
    assert second.findings["b"] == [
        Finding(f.rule, f.severity, f.message, "b", f.line) for f in first.findings["a"]
    ]
    assert second.regions == first.regions == REGIONS


def test_a_partial_hit_lints_only_the_misses_and_gives_every_templates_findings(cache, linted):
    # GIVEN a cache holding one of two templates
    first = lint_cached({"a": BODY}, cache, REGIONS)
    # WHEN both are linted, the cached one listed last
    both = lint_cached({"b": OTHER, "a": BODY}, cache, REGIONS)
    # THEN only the miss reaches cfn-lint, each has its findings, in the order asked
    assert linted == ["a", "b"]
    assert both.cached == {"a"}
    assert list(both.findings) == ["b", "a"]
    assert both.findings["a"] == first.findings["a"]
    assert [(f.rule, f.path) for f in both.findings["b"]] == [
        ("I3011", "b"),
        ("I3011", "b"),
        ("I3013", "b"),
    ]
    assert both.regions == REGIONS
    # and the miss is stored: now both hit
    again = lint_cached({"a": BODY, "b": OTHER}, cache, REGIONS)
    assert linted == ["a", "b"]
    assert again.cached == {"a", "b"}
    assert again.findings == both.findings


def test_a_changed_template_misses(cache, linted):
    lint_cached({"a": BODY}, cache, REGIONS)
    result = lint_cached({"a": BODY + " "}, cache, REGIONS)
    assert linted == ["a", "a"]
    assert not result.cached
    assert len(entries(cache)) == 2


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda mp: mp.setattr(lint, "INCLUDE_CHECKS", ()), id="included-checks"),
        pytest.param(
            lambda mp: mp.setattr(lint_cache, "cfn_lint_version", lambda: "0.0.1"),
            id="cfn-lint-version",
        ),
        pytest.param(lambda mp: mp.setattr(lint_cache, "FORMAT", 0), id="format"),
        pytest.param(
            lambda mp: mp.setattr(lint_cache, "pack_version", lambda: "edited"),
            id="rule-pack-version",
        ),
    ],
)
def test_changed_settings_or_a_cfn_lint_release_miss(cache, linted, monkeypatch, change):
    lint_cached({"a": BODY}, cache, REGIONS)
    change(monkeypatch)
    result = lint_cached({"a": BODY}, cache, REGIONS)
    assert linted == ["a", "a"]
    assert not result.cached


def test_other_regions_miss(cache, linted):
    lint_cached({"a": BODY}, cache, REGIONS)
    result = lint_cached({"a": BODY}, cache, ("us-east-1", "eu-west-1"))
    assert linted == ["a", "a"]
    assert not result.cached
    assert result.regions == ("us-east-1", "eu-west-1")


def test_a_cfn_lint_configuration_file_is_part_of_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = LintCache.key(BODY, REGIONS)
    (tmp_path / ".cfnlintrc").write_text("ignore_checks:\n  - W2001\n")
    assert LintCache.key(BODY, REGIONS) != before


@pytest.mark.parametrize("setting", lint_cache.FILE_KEYS)
def test_a_configuration_naming_files_bypasses_the_cache(tmp_path, monkeypatch, setting):
    # The key holds the .cfnlintrc, not the rules, spec or schemas it names.
    seen: list[str] = []
    monkeypatch.setattr(
        lint,
        "lint_bodies",
        lambda bodies, regions=None, **options: seen.extend(bodies) or {n: [] for n in bodies},
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cfnlintrc.yaml").write_text(f"{setting}:\n  - rules\n")
    cache = LintCache(tmp_path / "cache")
    first = lint_cached({"a": BODY}, cache, REGIONS)
    second = lint_cached({"a": BODY}, cache, REGIONS)
    assert seen == ["a", "a"]
    assert first.cached == second.cached == frozenset()
    assert not cache.directory.exists()


def test_the_file_keys_are_every_setting_of_cfn_lint_that_names_files_it_reads():
    # A new setting in a cfn-lint release fails here until it is placed.
    from cfnlint.data import CfnLintCli

    schema = json.loads(
        (Path(next(iter(CfnLintCli.__path__))) / "config" / "schema.json").read_text()
    )
    # Files that change no finding: which templates to lint, and where to write output.
    no_finding = {"templates", "ignore_templates", "output_file"}
    names_no_file = {
        "configure_rules",
        "debug",
        "format",
        "ignore_bad_template",
        "ignore_checks",
        "include_checks",
        "include_experimental",
        "mandatory_checks",
        "merge_configs",
        "non_zero_exit_code",
        "parameters",
        "regions",
        "template_parameters",
    }
    assert set(schema["properties"]) == set(lint_cache.FILE_KEYS) | no_finding | names_no_file


def test_a_configuration_naming_no_files_keeps_the_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cfnlintrc").write_text("ignore_checks:\n  - W3005\n")
    assert not lint_cache.config_names_files()
    (tmp_path / ".cfnlintrc").write_text("override_spec: spec.json\n")
    assert lint_cache.config_names_files()


def test_a_configuration_appending_only_the_rule_pack_keeps_the_cache(tmp_path, monkeypatch):
    # The key covers the pack's version; any other rules folder or module it cannot follow.
    monkeypatch.chdir(tmp_path)
    config = tmp_path / ".cfnlintrc"
    config.write_text("append_rules:\n  - planar_cfn.lint.rules\n")
    assert not lint_cache.config_names_files()
    config.write_text("append_rules: planar_cfn.lint.rules\nignore_checks: [W3005]\n")
    assert not lint_cache.config_names_files()
    for other in (
        "append_rules:\n  - planar_cfn.lint.rules\n  - my_rules/\n",
        "append_rules:\n  - my_rules/\n",
        "append_rules:\n  - planar_cfn.lint.rules\noverride_spec: spec.json\n",
        "append_rules: [planar_cfn.lint.rules\n",  # not YAML: counted as naming files
    ):
        config.write_text(other)
        assert lint_cache.config_names_files(), other


def test_a_mention_in_a_comment_no_longer_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cfnlintrc").write_text("# append_rules: my_rules/\nignore_checks: [W3005]\n")
    assert not lint_cache.config_names_files()


@pytest.fixture
def fresh_runners():
    """cfn-lint runners made for the test alone: a runner reads .cfnlintrc when made and
    is kept (runner._runner), so one made under the test's file must not outlive it."""
    lint._runner.cache_clear()
    yield
    lint._runner.cache_clear()


def test_a_configuration_appending_the_pack_is_cached(tmp_path, monkeypatch, linted, fresh_runners):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cfnlintrc").write_text("append_rules:\n  - planar_cfn.lint.rules\n")
    cache = LintCache(tmp_path / "cache")
    lint_cached({"a": BODY}, cache, REGIONS)
    second = lint_cached({"a": BODY}, cache, REGIONS)
    assert linted == ["a"]
    assert second.cached == frozenset({"a"})


def test_the_version_in_the_key_is_the_one_cfn_lint_reports():
    from cfnlint.version import __version__

    assert lint_cache.cfn_lint_version() == __version__


def test_regions_unknown_to_cfn_lint_are_named_from_a_hit_too(cache, linted):
    regions = ("us-east-1", "us-moon-1")
    first = lint_cached({"a": OTHER}, cache, regions)
    second = lint_cached({"a": OTHER}, cache, regions)
    assert linted == ["a"]
    assert second.cached == {"a"}
    assert first.regions == second.regions == ("us-east-1",)
    assert first.unknown == second.unknown == ("us-moon-1",)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"format": 1, "key": ', id="truncated"),
        pytest.param("[]", id="wrong-type"),
        pytest.param(None, id="foreign-key"),
        pytest.param({"findings": [{"line": "seven"}]}, id="wrong-line"),
        pytest.param({"findings": [{"line": True}]}, id="line-a-bool"),
        pytest.param({"findings": [{"message": 7}]}, id="wrong-message"),
        pytest.param({"findings": {}}, id="findings-not-a-list"),
        pytest.param({"regions": "us-east-1"}, id="regions-a-string"),
        pytest.param({"regions": [1]}, id="regions-not-names"),
        pytest.param({"format": 0}, id="other-format"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param("[" * 100000 + "]" * 100000, id="deeply-nested"),  # RecursionError
    ],
)
def test_a_broken_entry_is_linted_again_and_rewritten(cache, linted, content):
    lint_cached({"a": BODY}, cache, REGIONS)
    (path,) = entries(cache)
    good = path.read_text()
    if content is None:  # a whole entry, but another template's
        lint_cached({"b": OTHER}, cache, REGIONS)
        content = (cache.directory / f"{LintCache.key(OTHER, REGIONS)}.json").read_text()
    elif isinstance(content, dict):  # a well-formed entry with these values changed
        entry = json.loads(good)
        for field, value in content.items():
            if field == "findings" and isinstance(value, list):
                entry["findings"][0].update(value[0])
            else:
                entry[field] = value
        content = json.dumps(entry)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = lint_cached({"a": BODY}, cache, REGIONS)
    assert "a" not in result.cached
    assert linted.count("a") == 2
    assert [f.rule for f in result.findings["a"]] == ["W2001"]
    assert path.read_text() == good


def raw_entries(directory):
    """Every entry file in `directory` read as it is on disk (not through get, which
    turns a torn entry into a miss), each checked to be a whole entry; a file renamed
    away or not yet there between listing and reading is absent, which is allowed."""
    seen = 0
    for path in Path(directory).glob("*.json"):
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue
        entry = json.loads(text)  # a torn entry raises here
        assert set(entry) == {"format", "key", "regions", "findings"}, text[:200]
        assert entry["key"] == path.stem
        assert entry["regions"] == ["us-east-1"]
        assert all(set(f) == {"rule", "severity", "message", "line"} for f in entry["findings"])
        assert entry["findings"], text[:200]
        seen += 1
    return seen


def test_concurrent_writers_leave_one_valid_entry(cache):
    key = LintCache.key(BODY, REGIONS)
    # Entries of several pages, so that a write that is not atomic is seen in parts.
    findings = [[Finding("W2001", "warning", "m" * 20000 * n, "a", n)] for n in range(1, 9)]
    threads = [threading.Thread(target=cache.put, args=(key, f, REGIONS)) for f in findings]
    done = threading.Event()
    errors: list[BaseException] = []

    def read():
        while not done.is_set():
            try:
                raw_entries(cache.directory)
            except (AssertionError, ValueError) as error:
                errors.append(error)
                return

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(20):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        threads = [threading.Thread(target=cache.put, args=(key, f, REGIONS)) for f in findings]
    done.set()
    reader.join()
    assert not errors, errors[0]
    assert raw_entries(cache.directory) == 1
    assert cache.get(key, "a")[0] in findings
    assert [p.name for p in cache.directory.iterdir()] == [f"{key}.json"]  # no temporary left


def test_concurrent_builds_leave_valid_entries(tmp_path):
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from planar_cfn.lint.cache import LintCache\n"
        "from planar_cfn.lint.runner import Finding\n"
        "cache = LintCache(Path(sys.argv[1]))\n"
        "for i in range(1, 200):\n"
        "    cache.put('k', [Finding('W', 'warning', 'm' * 500 * i, 'a', i)], ('us-east-1',))\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT) for _ in range(2)
    ]
    try:
        while any(w.poll() is None for w in writers):
            raw_entries(tmp_path / "lint")  # never half an entry
    finally:
        for writer in writers:
            writer.wait()
    assert all(w.returncode == 0 for w in writers)
    assert raw_entries(tmp_path / "lint") == 1
    assert LintCache(tmp_path).get("k", "a") is not None


def test_an_unwritable_cache_is_no_error(tmp_path, linted):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = lint_cached({"a": BODY}, LintCache(blocker), REGIONS)
    assert [f.rule for f in result.findings["a"]] == ["W2001"]


def build(argv, tmp_path):
    out = io.StringIO()
    code = cli.main([*argv, "--templates-dir", str(tmp_path / "out")], out=out)
    return code, out.getvalue()


@pytest.fixture
def command_cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv(lint_cache.CACHE_DIR_ENV, str(directory))
    return LintCache(directory)


@pytest.fixture
def small_render(monkeypatch):
    """The command renders a small template with one finding (W2001): quick to lint (and
    no stack to estimate the cost of)."""
    from planar_cfn.template.render import Rendered

    monkeypatch.setattr(cli, "render", lambda config: Rendered(config.stage.name, BODY + "\n"))
    monkeypatch.setattr(summary, "cost_line", lambda rendered, prog: None)


def test_no_cache_neither_reads_nor_writes(tmp_path, command_cache, linted, small_render):
    code, out = build(["--stage", "dev", "--no-deploy", "--no-cache"], tmp_path)
    assert code == 1
    assert linted == ["dev"]
    assert not command_cache.directory.exists()
    build(["--stage", "dev", "--no-deploy"], tmp_path)  # fills the cache
    code, out = build(["--stage", "dev", "--no-deploy", "--no-cache"], tmp_path)
    assert linted == ["dev", "dev", "dev"]
    assert "cached" not in out


def test_cached_findings_fail_the_build_as_fresh_ones_do(
    tmp_path, command_cache, linted, small_render
):
    fresh = build(["--stage", "dev", "--no-deploy"], tmp_path)
    code, out = build(["--stage", "dev", "--no-deploy"], tmp_path)
    assert linted == ["dev"]
    assert fresh[0] == code == 1
    assert "lint: 1 finding(s) (cached)" in out
    assert f"W2001 [warning] {tmp_path / 'out' / 'planar-dev.json'}:" in out
    assert out.replace(" (cached)", "") == fresh[1]


def test_a_cached_build_writes_and_says_what_an_uncached_one_does(tmp_path, stage_lint, linted):
    # GIVEN the suite's cache holds every stage's lint (conftest.stage_lint)
    code, uncached = build(["--stage", "prod", "--no-deploy", "--no-cache"], tmp_path)
    written = (tmp_path / "out" / "planar-prod.json").read_text()
    code_cached, cached = build(["--stage", "prod", "--no-deploy"], tmp_path)
    assert code == code_cached == 0
    assert linted == ["prod"]  # only the uncached build linted
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["planar-prod.json"]
    assert (tmp_path / "out" / "planar-prod.json").read_text() == written
    assert (
        "lint: clean (cfn-lint, informational rules and the rule pack included; cached)" in cached
    )
    assert cached.replace("; cached)", ")") == uncached


def test_a_rebuild_from_the_cache_imports_no_cfn_lint(tmp_path, lint_cache_dir, stage_lint):
    # GIVEN the suite's cache holds every stage's lint (conftest.stage_lint)
    script = (
        "import io, sys\n"
        "from planar_cfn.cli import commands as cli\n"
        "out = io.StringIO()\n"
        "code = cli.main(['--all-stages', '--no-deploy', '--templates-dir', sys.argv[1]], out=out)\n"
        "print(code, out.getvalue().count('cached)'), 'cfnlint' in sys.modules)\n"
    )
    # WHEN the command builds every stage again in a fresh interpreter
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, lint_cache.CACHE_DIR_ENV: str(lint_cache_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    # THEN every result (the three stages, the launch role and the deploy role) came from
    # the cache and cfn-lint was never imported
    assert result.stdout.split() == ["0", "5", "False"]


def test_the_cache_folder_is_git_ignored():
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", ".cache/planar-cfn/lint/x.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == ".cache/planar-cfn/lint/x.json"


@pytest.mark.parametrize("name", lint_cache._CONFIG_FILES)
def test_cfn_lint_reads_the_configuration_files_the_key_covers(tmp_path, monkeypatch, name):
    """Fails loudly when a cfn-lint release reads its configuration from other files."""
    from cfnlint.config import ConfigMixIn

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text("ignore_checks:\n  - W2001\n")
    assert "W2001" in ConfigMixIn().ignore_checks
    assert str(tmp_path / name) in lint_cache._config_files()


def test_an_unchanged_template_file_is_not_rewritten(tmp_path, command_cache, small_render):
    build(["--stage", "dev", "--no-deploy"], tmp_path)
    path = tmp_path / "out" / "planar-dev.json"
    os.utime(path, (0, 0))
    build(["--stage", "dev", "--no-deploy"], tmp_path)
    assert path.stat().st_mtime == 0
    path.write_text("{}")
    build(["--stage", "dev", "--no-deploy"], tmp_path)
    assert path.read_text() == BODY + "\n"


def test_a_build_whose_every_template_hits_needs_no_linter(cache, linted, monkeypatch):
    lint_cached({"a": BODY}, cache, REGIONS)

    def no_linter(*_):
        raise AssertionError("cfn-lint asked for its regions on a hit")

    monkeypatch.setattr(lint, "known_regions", no_linter)
    result = lint_cached({"a": BODY}, cache, REGIONS)
    assert (result.cached, result.regions) == ({"a"}, REGIONS)


def test_no_template_still_names_the_regions_cfn_lint_does_not_know():
    result = lint_cached({}, None, ("us-east-1", "us-moon-1"))
    assert (result.findings, result.regions, result.unknown) == ({}, ("us-east-1",), ("us-moon-1",))


def test_the_default_cache_folder_is_beside_the_working_directory(monkeypatch):
    monkeypatch.delenv(lint_cache.CACHE_DIR_ENV, raising=False)
    assert LintCache().directory == Path(".cache", "planar-cfn", "lint")
