from datetime import datetime

import pytest

from algocloud.domain.errors import ParameterError
from algocloud.domain.parameters import (
    BooleanParameter,
    EnumParameter,
    FloatParameter,
    IntegerParameter,
    IntervalParameter,
    MultiEnumParameter,
    ParameterSet,
    StringParameter,
    TimeParameter,
)

EVERY_TYPE = ParameterSet(
    [
        IntegerParameter(name="count", default=1, min=1, max=60),
        FloatParameter(name="ratio", default=0.5, min=0.0, max=1.0),
        StringParameter(name="label", required=False, max_length=5),
        BooleanParameter(name="flag", default=False),
        EnumParameter(name="mode", choices=("a", "b"), default="a"),
        MultiEnumParameter(name="tags", choices=("x", "y", "z"), default=["x"]),
        TimeParameter(name="at", required=False),
        IntervalParameter(name="window", required=False),
    ]
)


def test_defaults_fill_every_parameter():
    assert EVERY_TYPE.validate(None) == {
        "count": 1,
        "ratio": 0.5,
        "label": None,
        "flag": False,
        "mode": "a",
        "tags": ["x"],
        "at": None,
        "window": None,
    }


def test_valid_values_become_canonical_json_and_typed_values():
    values = EVERY_TYPE.validate(
        {
            "count": 60,
            "ratio": 1,
            "label": "abc",
            "flag": True,
            "mode": "b",
            "tags": ["z", "y"],
            "at": "2026-01-05T08:00:00Z",
            "window": ["2026-01-05T08:00", "2026-01-05T16:00"],
        }
    )
    assert values["ratio"] == 1.0 and isinstance(values["ratio"], float)
    assert values["at"] == "2026-01-05T08:00:00+00:00"
    assert values["window"] == {"start": "2026-01-05T08:00:00", "end": "2026-01-05T16:00:00"}
    typed = EVERY_TYPE.typed(values)
    assert typed["window"] == (datetime(2026, 1, 5, 8), datetime(2026, 1, 5, 16))
    assert typed["at"].tzinfo is not None
    assert typed["tags"] == ["z", "y"]


@pytest.mark.parametrize(
    ("values", "name", "fragment"),
    [
        ({"nope": 1}, "nope", "unknown parameter"),
        ({"count": True}, "count", "expected an integer, got boolean"),
        ({"count": "5"}, "count", "expected an integer, got string"),
        ({"count": 1.5}, "count", "expected an integer"),
        ({"count": 0}, "count", "below the minimum 1"),
        ({"count": 61}, "count", "above the maximum 60"),
        ({"ratio": False}, "ratio", "expected a number, got boolean"),
        ({"ratio": 1.01}, "ratio", "above the maximum"),
        ({"label": 5}, "label", "expected a string, got number"),
        ({"label": "toolong"}, "label", "longer than 5"),
        ({"flag": 1}, "flag", "expected a boolean, got number"),
        ({"mode": "c"}, "mode", "'c' is not one of ['a', 'b']"),
        ({"mode": ["a"]}, "mode", "got array"),
        ({"tags": "x"}, "tags", "expected an array"),
        ({"tags": ["x", "q"]}, "tags", "'q' is not one of"),
        ({"tags": ["x", "x"]}, "tags", "more than once"),
        ({"at": "yesterday"}, "at", "not an ISO 8601 datetime"),
        ({"at": 12}, "at", "expected an ISO 8601 datetime"),
        ({"window": {"start": "2026-01-02", "end": "2026-01-01"}}, "window", "start is after end"),
        ({"window": {"start": "2026-01-01"}}, "window", "expected an object"),
        ({"window": ["2026-01-01T00:00Z", "2026-01-02T00:00"]}, "window", "time zone"),
        ({"window": ["2026-01-01", "soon"]}, "window", "not an ISO 8601"),
    ],
)
def test_each_bad_value_is_a_clear_error_naming_the_parameter(values, name, fragment):
    with pytest.raises(ParameterError) as caught:
        EVERY_TYPE.validate(values)
    assert caught.value.parameter == name
    assert fragment in str(caught.value)
    assert f"'{name}'" in str(caught.value)


def test_integer_accepts_integral_float_and_float_accepts_integer():
    assert IntegerParameter(name="n").parse(3.0) == 3
    assert FloatParameter(name="f").parse(3) == 3.0


def test_required_without_default_must_be_given():
    params = ParameterSet([IntegerParameter(name="n", required=True)])
    with pytest.raises(ParameterError, match="value is required"):
        params.validate({})
    with pytest.raises(ParameterError, match="value is required"):
        params.validate({"n": None})
    assert params.validate({"n": 2}) == {"n": 2}


def test_parameters_must_be_an_object():
    with pytest.raises(ParameterError, match="must be an object, got array"):
        EVERY_TYPE.validate([1, 2])


def test_descriptor_shape_matches_the_reference():
    slow = ParameterSet([IntegerParameter(name="duration", default=1, min=1, max=60)])
    assert slow.describe() == [
        {"name": "duration", "type": "integer", "required": True, "value": 1, "default": 1, "min": 1, "max": 60}
    ]
    assert slow.describe({"duration": 5})[0]["value"] == 5


def test_descriptors_carry_only_the_fields_that_apply():
    by_name = {d["name"]: d for d in EVERY_TYPE.describe()}
    assert by_name["mode"]["choices"] == ["a", "b"] and "min" not in by_name["mode"]
    assert by_name["tags"]["type"] == "multi_enum" and by_name["tags"]["value"] == ["x"]
    assert "default" not in by_name["label"] and by_name["label"]["value"] is None
    assert "choices" not in by_name["count"]
    assert {d["type"] for d in by_name.values()} == {
        "integer",
        "float",
        "string",
        "boolean",
        "enum",
        "multi_enum",
        "time",
        "interval",
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: IntegerParameter(name="n", default=0, min=1),
        lambda: EnumParameter(name="e", choices=()),
        lambda: EnumParameter(name="e", choices=("a",), default="b"),
        lambda: FloatParameter(name="f", min=2, max=1),
        lambda: ParameterSet([BooleanParameter(name="b"), BooleanParameter(name="b")]),
    ],
)
def test_bad_definitions_fail_when_the_config_loads(make):
    with pytest.raises((ValueError, ParameterError)):
        make()
