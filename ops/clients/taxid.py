"""统一社会信用代码 (unified social credit code, GB 32100-2015): normalising and checking.

Pure: no Flask app or database. Messages are Chinese and meant for the user.
"""

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_char(body: str) -> str:
    """The check character for the first 17 characters ``body`` (already normalised and valid)."""
    total = sum(CHARSET.index(ch) * weight for ch, weight in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return ``code`` normalised (spaces stripped, upper case) when it is a valid credit code.

    Raises ValueError with a Chinese message for a wrong length, an illegal character or a
    wrong check character (the 18th).
    """
    normalised = "".join((code or "").split()).upper()
    if len(normalised) != LENGTH:
        raise ValueError(f"统一社会信用代码应为 18 位，当前为 {len(normalised)} 位。")
    illegal = sorted({ch for ch in normalised if ch not in CHARSET})
    if illegal:
        raise ValueError(f"统一社会信用代码含有非法字符：{'、'.join(illegal)}（不使用字母 I、O、Z、S、V）。")
    expected = check_char(normalised[:17])
    if normalised[17] != expected:
        raise ValueError("统一社会信用代码校验位不正确，请核对后重新输入。")
    return normalised
