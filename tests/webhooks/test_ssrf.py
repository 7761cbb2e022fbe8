"""The SSRF guard: only https in production, never a private, loopback, link-local, unique-local,
multicast, reserved or unspecified address (IPv4, IPv6, IPv4-mapped) unless an admin allows it."""

import pytest

from ops.webhooks.ssrf import UnsafeUrl, check_url


def _check(url, *, allow_http=True, allow_private=False, resolver=None):
    kwargs = {"resolver": resolver} if resolver else {}
    return check_url(url, allow_http=allow_http, allow_private=allow_private, **kwargs)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.8.9.10/hook",
        "https://localhost/hook",  # a host name resolving to loopback
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://172.31.255.254/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",  # the cloud metadata address
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT: not global
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::]/hook",
        "https://[fc00::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[fe80::1]/hook",
        "https://[ff02::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[::ffff:169.254.169.254]/hook",
    ],
)
def test_private_and_special_addresses_are_refused(url):
    with pytest.raises(UnsafeUrl, match="只允许公网地址") as refused:
        _check(url)
    assert refused.value.field == "url"


def test_a_host_whose_records_include_one_private_address_is_refused():
    def resolver(host, port):
        return ["93.184.216.34", "10.0.0.5"]  # one public, one private: a rebinding set-up

    with pytest.raises(UnsafeUrl, match="10.0.0.5"):
        _check("https://hooks.example.com/x", resolver=resolver)


def test_a_public_address_is_allowed_and_the_checked_address_is_the_one_to_connect_to():
    target = _check(
        "https://hooks.example.com:8443/in?x=1",
        allow_http=False,
        resolver=lambda host, port: ["93.184.216.34"],
    )
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
        "93.184.216.34",
    )


def test_the_admin_flag_allows_a_private_address():
    target = _check("http://127.0.0.1:8080/hook", allow_private=True)
    assert target.address == "127.0.0.1" and target.port == 8080
    assert _check("https://localhost/hook", allow_private=True).address in ("127.0.0.1", "::1")


def test_http_is_refused_unless_allowed_and_other_schemes_always():
    with pytest.raises(UnsafeUrl, match="https://"):
        _check("http://93.184.216.34/hook", allow_http=False)
    assert _check("http://93.184.216.34/hook", allow_http=True).port == 80
    for url in ("ftp://93.184.216.34/x", "file:///etc/passwd", "gopher://93.184.216.34/", "93.184.216.34/x"):
        with pytest.raises(UnsafeUrl):
            _check(url)


def test_credentials_in_the_url_a_bad_port_and_an_unknown_host_are_refused():
    with pytest.raises(UnsafeUrl, match="用户名或密码"):
        _check("https://user:pw@93.184.216.34/hook")
    with pytest.raises(UnsafeUrl, match="端口"):
        _check("https://93.184.216.34:99999/hook")
    with pytest.raises(UnsafeUrl, match="端口"):
        _check("https://93.184.216.34:0/hook")
    with pytest.raises(UnsafeUrl, match="格式无效"):
        _check("https://[::1/hook")

    def nowhere(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(UnsafeUrl, match="无法解析"):
        _check("https://no-such-host.invalid/hook", resolver=nowhere)
