"""The config file, the keymap, the per-corpus state, and the command list
behind bindings, palette, help and the README's key table."""

from __future__ import annotations

from pathlib import Path

from tui.commands import BY_ID, COMMANDS, bindings, keys_table
from tui.config import DEFAULT_SIDEBAR, load_config, load_state, save_state

ROOT = Path(__file__).resolve().parent.parent


def test_missing_config_gives_defaults():
    cfg = load_config()
    assert cfg.path is None and cfg.problems == []
    assert cfg.sidebar_width == DEFAULT_SIDEBAR and cfg.keymap == {}


def test_config_file_values_and_keymap(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('theme = "textual-light"\nsidebar_width = 40\ncorpus = "~/news"\n'
                 'ner = "rules"\n[keymap]\n"reader.next-hit" = "n, ctrl+n"\n', encoding="utf-8")
    cfg = load_config(p)
    assert cfg.problems == []
    assert (cfg.theme, cfg.sidebar_width, cfg.corpus, cfg.ner) == (
        "textual-light", 40, "~/news", "rules")
    assert cfg.keymap == {"reader.next-hit": "n,ctrl+n"}


def test_bad_config_is_reported_in_one_line_each_and_defaults_stand(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('sidebar_width = "wide"\ncolour = 1\nner = "gpt"\n[keymap]\n'
                 '"no.such" = "x"\n"reader.quit" = ""\n', encoding="utf-8")
    cfg = load_config(p)
    assert cfg.sidebar_width == DEFAULT_SIDEBAR and cfg.ner is None and cfg.keymap == {}
    text = "\n".join(cfg.problems)
    assert "sidebar_width" in text and "'colour'" in text
    assert "ner must be auto, spacy or rules" in text
    assert "no command 'no.such'" in text and "reader.quit needs keys" in text
    assert all("\n" not in p for p in cfg.problems)
    broken = tmp_path / "broken.toml"
    broken.write_text("theme = [unclosed", encoding="utf-8")
    cfg = load_config(broken)
    assert cfg.problems and "cannot be read" in cfg.problems[0]
    assert "no such file" in load_config(tmp_path / "nope.toml").problems[0]


def test_env_overrides_the_file(tmp_path, monkeypatch):
    p = tmp_path / "c.toml"
    p.write_text("sidebar_width = 40\n", encoding="utf-8")
    monkeypatch.setenv("VARIORUM_SIDEBAR_WIDTH", "50")
    monkeypatch.setenv("VARIORUM_CONFIG", str(p))
    assert load_config().sidebar_width == 50


def test_state_round_trip_and_corrupt_state(tmp_path):
    ix = tmp_path / "ix-1"
    assert load_state(ix) == {}
    save_state(ix, {"query": "putin", "article": "abc", "marks": ["a", "b"]})
    assert load_state(ix) == {"query": "putin", "article": "abc", "marks": ["a", "b"]}
    state_file = next((Path(p) for p in tmp_path.rglob("ix-1.json")), None)
    if state_file is None:  # under the data dir the test fixture points at
        import index.paths as P

        state_file = P.state_dir() / "corpora" / "ix-1.json"
    state_file.write_text("{not json", encoding="utf-8")
    assert load_state(ix) == {}


def test_every_command_has_a_unique_id_and_binding():
    assert len(BY_ID) == len(COMMANDS)
    for ctx in {c.context for c in COMMANDS}:
        bs = bindings(ctx)
        assert [b.id for b in bs] == [c.id for c in COMMANDS if c.context == ctx]


def test_readme_key_table_is_generated_from_the_command_list():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = keys_table()
    assert table in readme, "README's key table is stale: paste tui.commands.keys_table()"


def test_a_keymap_value_that_is_not_keys_is_reported_not_applied(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[keymap]\n"reader.quit" = "[/nope]"\n"reader.next-hit" = "ctrl+n, ]"\n',
                 encoding="utf-8")
    cfg = load_config(p)
    assert cfg.keymap == {"reader.next-hit": "ctrl+n,]"}
    assert len(cfg.problems) == 1 and "reader.quit = '[/nope]' is not a list of keys" \
        in cfg.problems[0]


def test_a_huge_config_is_not_read_one_message_and_defaults(tmp_path):
    from tui.config import CONFIG_MAX

    p = tmp_path / "big.toml"
    # valid TOML: read, it would set the width; a 16 MB one took 45 s
    p.write_text("sidebar_width = 40\n" + "# padding\n" * (CONFIG_MAX // 10 + 1),
                 encoding="utf-8")
    cfg = load_config(p)
    assert cfg.sidebar_width == DEFAULT_SIDEBAR
    assert len(cfg.problems) == 1 and "larger than 64 KiB" in cfg.problems[0]


def test_many_problems_are_counted_not_listed(tmp_path):
    from tui.config import PROBLEMS_MAX

    p = tmp_path / "c.toml"
    p.write_text("".join(f"unknown{k} = 1\n" for k in range(500)), encoding="utf-8")
    cfg = load_config(p)
    assert len(cfg.problems) == PROBLEMS_MAX + 1
    assert cfg.problems[-1].endswith(f"{500 - PROBLEMS_MAX} more problems not shown")


def test_one_theme_check_for_config_and_reader():
    """A theme name from the file or the environment is checked against the
    app's themes in one place (the config also said so when the app passed
    its themes, with another message)."""
    from tui.config import Config, checked_theme

    themes = {"textual-dark", "nord"}
    ok = Config(theme="nord")
    assert checked_theme(ok, themes) == "nord" and ok.problems == []
    bad = Config(theme="[/nope]")
    assert checked_theme(bad, themes) is None
    assert bad.problems == ["config: unknown theme '[/nope]' (themes: nord, textual-dark)"]


def test_the_extractor_names_are_the_engines():
    """The config, the CLI's --ner and the engine accept the same extractors."""
    import click

    from index import EXTRACTORS
    from index.nlp.entities import choose_extractor
    from tui.cli import cli

    assert EXTRACTORS == ("auto", "spacy", "rules")
    choices = [o.type.choices for cmd in cli.commands.values() for o in cmd.params
               if o.name == "ner" and isinstance(o.type, click.Choice)]
    assert len(choices) >= 3 and all(tuple(c) == EXTRACTORS for c in choices)
    for kind in EXTRACTORS[1:]:
        assert choose_extractor(kind).kind in EXTRACTORS
