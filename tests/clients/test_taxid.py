import pytest

from ops.clients.taxid import check_char, validate_credit_code

VALID = ("91350100M000100Y43", "91110108551385082Q", "91330106MA2B2QXY3M", "91440300MA5F8JHX68")


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass_unchanged(code):
    assert validate_credit_code(code) == code


def test_input_is_normalised():
    assert validate_credit_code("  91330106ma2b2qxy3m ") == "91330106MA2B2QXY3M"
    assert validate_credit_code("9111 0108 5513 8508 2Q") == "91110108551385082Q"


def test_check_char_worked_by_hand():
    # 91350100M000100Y4: values 9,1,3,5,0,1,0,0,M=21,0,0,0,1,0,0,Y=30,4 times the weights
    # 9*1 + 1*3 + 3*9 + 5*27 + 0 + 1*26 + 0 + 0 + 21*20 + 0 + 0 + 0 + 1*8 + 0 + 0 + 30*30 + 4*28
    # = 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1640; 1640 % 31 = 28; 31 - 28 = 3 -> "3"
    assert check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    "code, message",
    [
        ("91350100M000100Y4", "应为 18 位，当前为 17 位"),
        ("91350100M000100Y433", "应为 18 位，当前为 19 位"),
        ("", "应为 18 位，当前为 0 位"),
        ("91350100M000100I43", "非法字符：I"),
        ("91350100O000100Y43", "非法字符：O"),
        ("9135010-M000100Y43", "非法字符：-"),
        ("91350100M000100Y44", "校验位不正确"),
        ("91110108551385082A", "校验位不正确"),
        ("91330106MA2B2QXY3N", "校验位不正确"),
    ],
)
def test_invalid_codes_give_chinese_messages(code, message):
    with pytest.raises(ValueError, match=message):
        validate_credit_code(code)


def test_none_is_refused_as_empty():
    with pytest.raises(ValueError, match="18 位"):
        validate_credit_code(None)
