"""The password policy, applied wherever a password is set (admin form, change-password form,
``flask ops create-admin``, ``services.create_user`` / ``change_password``).

A password must be at least MIN_LENGTH characters, not derived from the username (containing it,
or the username with digits appended, case-insensitive) and not common or easily guessed. "Common"
is judged by zxcvbn (Dropbox's estimator: 30,000 leaked passwords, dictionaries, keyboard
patterns, sequences, repeats, dates, l33t substitutions): anything it scores below MIN_SCORE
(fewer than 10^8 guesses) is refused — ``12345678``, ``password123``, ``woaini1314``,
``qwertyuiop``, ``P@ssw0rd2026`` all are.

The demo data set (password ``demo-2026``) bypasses the policy, outside production only
(``ops.demo``); tests' users are made with a password that meets it.
"""

import re

from flask_babel import gettext as _
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3
ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters decide


def password_problem(password: str, username: str | None = None) -> str | None:
    """The first rule ``password`` breaks, as a message for the user; None when it meets the policy."""
    if len(password) < MIN_LENGTH:
        return _("密码至少需要 %(n)s 个字符。", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("密码不能超过 %(n)s 个字符。", n=MAX_LENGTH)
    if username and derived_from_username(password, username):
        return _("密码不能包含用户名，也不能是用户名加数字。")
    if zxcvbn(password[:ZXCVBN_MAX])["score"] < MIN_SCORE:
        return _("密码太常见或太容易被猜到，请换一个（例如几个不相关的词加数字和符号）。")
    return None


def derived_from_username(password: str, username: str) -> bool:
    """True when the password contains the username, or is the username with digits appended."""
    name = username.strip().lower()
    if not name:
        return False
    lowered = password.lower()
    if re.fullmatch(re.escape(name) + r"\d*", lowered):
        return True
    # A one- or two-letter name ("li") occurs inside many good passwords by chance.
    return len(name) >= 3 and name in lowered
