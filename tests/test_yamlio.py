"""The line-aware, duplicate-rejecting YAML loader in specadvisor/yamlio.py."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specadvisor import yamlio
from specadvisor.errors import InputFileError
from specadvisor.yamlio import LineDict, LineList, load_yaml_file, load_yaml_text, read_text_file


class _PurePythonLineLoader(yaml.SafeLoader):
    """The same loader on PyYAML's pure-Python parser (used where PyYAML lacks libyaml)."""

    construct_mapping = yamlio._LineLoader.construct_mapping
    construct_sequence = yamlio._LineLoader.construct_sequence


_PurePythonLineLoader.add_constructor("tag:yaml.org,2002:map", _PurePythonLineLoader.construct_mapping)
_PurePythonLineLoader.add_constructor("tag:yaml.org,2002:seq", _PurePythonLineLoader.construct_sequence)


@pytest.fixture(autouse=True, params=["default-parser", "pure-python-parser"])
def parser(request, monkeypatch):
    """Run every test with the loader specadvisor picked (libyaml when available) and the pure-Python one."""
    if request.param == "pure-python-parser":
        monkeypatch.setattr(yamlio, "_LineLoader", _PurePythonLineLoader)
    return request.param


_fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def _err(text: str, path: str = "f.yaml") -> InputFileError:
    with pytest.raises(InputFileError) as exc:
        load_yaml_text(text, path)
    assert "\n" not in exc.value.message
    return exc.value


# -- duplicate keys --------------------------------------------------------------------------------


def test_duplicate_top_level_key_names_both_lines():
    err = _err("a: 1\nb: 2\na: 3\n")
    assert err.line == 3 and err.field == "a"
    assert err.message.startswith("f.yaml:3:")
    assert "duplicate key" in err.message and "line 1" in err.message


def test_duplicate_nested_key_names_both_lines():
    text = textwrap.dedent("""\
        models:
          - id: x
            layers: 4

            layers: 5
        """)
    err = _err(text, "cat.yaml")
    assert err.line == 5 and err.field == "layers"
    assert "cat.yaml:5:" in err.message and "first defined on line 3" in err.message


def test_duplicate_key_in_flow_mapping():
    err = _err("x: {a: 1, b: 2, a: 3}\n")
    assert err.line == 1 and err.field == "a" and "duplicate key" in err.message


def test_duplicate_key_differing_only_in_quotes():
    err = _err('name: a\n"name": b\n')
    assert err.line == 2 and "line 1" in err.message


def test_same_key_in_sibling_mappings_is_fine():
    data = load_yaml_text("- {a: 1}\n- {a: 2}\n", "f.yaml")
    assert data == [{"a": 1}, {"a": 2}]


def test_merge_key_override_is_not_a_duplicate():
    data = load_yaml_text("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert data["derived"] == {"x": 1, "y": 3}


def test_merge_key_without_override():
    data = load_yaml_text("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  z: 3\n", "m.yaml")
    assert data["derived"] == {"x": 1, "y": 2, "z": 3}


# -- line numbers ----------------------------------------------------------------------------------


def test_line_numbers_are_recorded():
    text = textwrap.dedent("""\
        # comment
        top: 1
        nested:
          a: 1

          b:
            - 10
            - 20
        items:
          - name: x
          - name: y
        """)
    d = load_yaml_text(text, "f.yaml")
    assert isinstance(d, LineDict) and d.line == 2
    assert d.key_lines == {"top": 2, "nested": 3, "items": 9}
    assert d.line_of("nested") == 3 and d.line_of("missing") == d.line
    assert isinstance(d["nested"], LineDict)
    assert d["nested"].line == 4 and d["nested"].key_lines == {"a": 4, "b": 6}
    b = d["nested"]["b"]
    assert isinstance(b, LineList) and b.line == 7 and b.item_lines == [7, 8]
    assert [item.line for item in d["items"]] == [10, 11]
    assert d["items"].item_lines == [10, 11]


def test_results_are_plain_equal_dicts_and_lists():
    d = load_yaml_text("a: [1, 2]\nb: {c: null, d: true, e: 1.5, f: text}\n", "f.yaml")
    assert d == {"a": [1, 2], "b": {"c": None, "d": True, "e": 1.5, "f": "text"}}
    assert isinstance(d, dict) and isinstance(d["a"], list)


@_fixture_ok
@given(
    st.lists(st.from_regex(r"k[a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=20, unique=True),
    st.lists(st.integers(min_value=0, max_value=3), min_size=20, max_size=20),
)
def test_key_lines_follow_blank_lines(keys, gaps):
    lines, expected = [], {}
    for key, gap in zip(keys, gaps, strict=False):
        lines.extend([""] * gap)
        lines.append(f"{key}: 1")
        expected[key] = len(lines)
    d = load_yaml_text("\n".join(lines) + "\n", "f.yaml")
    assert d.key_lines == expected


@_fixture_ok
@given(st.lists(st.from_regex(r"k[a-z]{0,5}", fullmatch=True), min_size=2, max_size=10), st.data())
def test_any_duplicate_is_rejected_with_both_lines(keys, data):
    dup = data.draw(st.sampled_from(keys))
    text = "".join(f"{k}: {i}\n" for i, k in enumerate(keys)) + f"{dup}: again\n"
    first = keys.index(dup) + 1
    err = _err(text)
    repeated = next((i + 1 for i, k in enumerate(keys) if k in keys[:i]), None)
    if repeated is None:  # the only duplicate is the appended line
        assert err.line == len(keys) + 1 and f"line {first}" in err.message
    else:
        assert err.line == repeated


# -- invalid YAML ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: [1, 2\nb: 3\n", 2),
        ("a: 1\n  b: 2\n", 2),
        ("a: 1\nb: 'open\n", 3),
        ("a: 1\nb: *nope\n", 2),
        ("a: 1\n\tb: 2\n", 2),
    ],
)
def test_invalid_yaml_names_a_line(text, line):
    err = _err(text, "bad.yaml")
    assert err.line == line and err.message.startswith(f"bad.yaml:{line}:") and "invalid YAML" in err.message


def test_python_tags_are_refused():
    err = _err("a: !!python/object/apply:os.system ['echo hi']\n")
    assert "invalid YAML" in err.message and err.line == 1


def test_unhashable_key_is_refused():
    err = _err("? [1, 2]\n: x\n")
    assert "invalid YAML" in err.message


@pytest.mark.slow
def test_deep_nesting_is_an_input_error():
    err = _err("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "invalid YAML" in err.message


def test_empty_and_comment_only_documents_are_none():
    assert load_yaml_text("", "f.yaml") is None
    assert load_yaml_text("# only a comment\n", "f.yaml") is None


# -- bytes on disk ---------------------------------------------------------------------------------


def test_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.yaml"
    p.write_bytes(b"\xef\xbb\xbfa: 1\nb: caf\xc3\xa9\n")
    d = load_yaml_file(p)
    assert d == {"a": 1, "b": "caf\u00e9"}
    assert d.key_lines == {"a": 1, "b": 2}
    assert not read_text_file(p).startswith("\ufeff")


def test_non_utf8_is_rejected_with_line(tmp_path):
    p = tmp_path / "latin1.yaml"
    p.write_bytes("a: 1\nb: 2\nc: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputFileError) as exc:
        load_yaml_file(p)
    assert exc.value.line == 3
    assert exc.value.message.startswith(f"{p}:3:") and "UTF-8" in exc.value.message


def test_utf16_file_is_rejected(tmp_path):
    p = tmp_path / "utf16.yaml"
    p.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(InputFileError) as exc:
        load_yaml_file(p)
    assert str(p) in exc.value.message


def test_nul_bytes_are_rejected(tmp_path):
    p = tmp_path / "nul.yaml"
    p.write_bytes(b"a: 1\n\x00b: 2\n")
    with pytest.raises(InputFileError) as exc:
        load_yaml_file(p)
    assert str(p) in exc.value.message and "NUL" in exc.value.message


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError) as exc:
        load_yaml_file(tmp_path / "missing.yaml")
    assert "no such file" in exc.value.message and "missing.yaml" in exc.value.message


def test_directory_is_rejected(tmp_path):
    with pytest.raises(InputFileError) as exc:
        load_yaml_file(tmp_path)
    assert "directory" in exc.value.message


def test_oversized_file_is_rejected(tmp_path, monkeypatch):
    from specadvisor import yamlio

    monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", 16)
    p = tmp_path / "big.yaml"
    p.write_text("a: 1\n" * 10, encoding="utf-8")
    with pytest.raises(InputFileError) as exc:
        load_yaml_file(p)
    assert "limit" in exc.value.message


def test_crlf_line_endings_keep_line_numbers(tmp_path):
    p = tmp_path / "crlf.yaml"
    p.write_bytes(b"a: 1\r\nb: 2\r\na: 3\r\n")
    with pytest.raises(InputFileError) as exc:
        load_yaml_file(p)
    assert exc.value.line == 3 and "line 1" in exc.value.message


def test_alias_bomb_is_rejected_quickly():
    """A "billion laughs" document fails with a one-line error instead of expanding."""
    import time

    doc = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        doc += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    start = time.process_time()
    with pytest.raises(InputFileError) as exc:
        load_yaml_text(doc, "bomb.yaml")
    assert "alias" in str(exc.value) and "bomb.yaml:" in str(exc.value)
    assert time.process_time() - start < 5  # a bound, not a benchmark: the expansion never happens


def test_modest_aliases_are_fine():
    data = load_yaml_text("base: &b {image: x}\nsvc1: *b\nsvc2: *b\n", "compose.yaml")
    assert data["svc1"] == data["svc2"] == {"image": "x"}
