"""The public verification page a statement's QR code opens (no login): /verify/<number>?c=<code>.

It shows only the number, the issue date, the total and whether the document is valid, void or
credit-noted; an unknown number and a wrong or missing code get the same "无法验证" (404).
"""

from flask import Blueprint, render_template, request

from ops.billing import services

bp = Blueprint("verify", __name__)


@bp.route("/verify/<number>")
def verify(number: str):
    result = services.verify(number, request.args.get("c", ""))
    return render_template("billing/verify.html", result=result), 200 if result else 404


verify.is_public = True  # type: ignore[attr-defined]
