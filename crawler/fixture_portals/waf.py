"""WAF challenge pages as the fixture portals serve them (portals.md F1–F4).

Each kind imitates what a crawler meets on real portals: the status code, the
cookies the challenge sets, and the tell-tale script. Nothing here can be
"solved": the crawler must detect these and stop, never bypass them.
"""

from __future__ import annotations

import hashlib

from crawler.fixture_portals.exchange import Response


def _token(seed: str, length: int) -> str:
    out = ""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).hexdigest()
        counter += 1
    return out[:length]


def challenge(kind: str, host: str, port: int) -> Response:
    """The challenge response of ``kind`` (see switches.WAF_KINDS)."""
    token = _token(f"{kind}-{host}", 96)
    if kind == "rs412":  # 瑞数 RiverSecurity
        body = (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'<meta id="{token[:22]}" content="{token}{token}" r="m">'
            "<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
            f'$_ts.nsd=48213;$_ts.cd="{token[:64]}";</script>'
            f'<script type="text/javascript" charset="utf-8" src="/{token[:13]}/c.FxJzG50F.{token[13:20]}.js" r=\'m\'></script>'
            "</head><body></body></html>"
        )
        cookie = f"FSSBBIl1UgzbN7N{port}S={token[:64]}; Path=/; expires=Fri, 20 Nov 2036 00:00:00 GMT; HttpOnly"
        return Response(412, body.encode(), headers=[("Set-Cookie", cookie), ("Server", "nginx")])
    if kind == "jsl521":  # 加速乐 / 知道创宇
        body = (
            "<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')"
            "+('r')+('a')+('n')+('c')+('e')+('_')+('s')+('=')"
            f"+('{token[:10]}.{token[10:13]}|0|{token[13:40]}')+';max-age=3600;path=/';"
            "location.href=location.pathname+location.search</script>"
            f"<!-- __jsl_clearance_s -->"
        )
        cookie = f"__jsluid_h={token[:32]}; max-age=31536000; path=/; HttpOnly"
        return Response(
            521, body.encode(), headers=[("Set-Cookie", cookie), ("Server", "jiasule-WAF")]
        )
    if kind == "acw":  # Aliyun WAF
        body = (
            "<html><script>\n"
            f"var arg1='{token[:40].upper()}';\n"
            "var _0x4818=['\\x63\\x6f\\x6f\\x6b\\x69\\x65'];"
            "function setCookie(name,value){document.cookie=name+'='+value+';path=/';}"
            "setCookie('acw_sc__v2', reload(arg1));</script></html>"
        )
        cookie = f"acw_tc={token[:48]};path=/;HttpOnly;Max-Age=1800"
        return Response(200, body.encode(), headers=[("Set-Cookie", cookie)])
    if kind == "enable_js":
        body = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title></title></head><body>"
            "<noscript>Please enable JavaScript and refresh the page.</noscript>"
            f"<script src='/waf/js/check.js?t={token[:12]}'></script></body></html>"
        )
        return Response(200, body.encode())
    if kind == "cloudwaf":  # 创宇云防御 interstitial (temporary block)
        body = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>访问被拦截</title></head><body>"
            "<div class='wrap'><h2>当前访问疑似黑客攻击，已被网站管理员设置为拦截</h2>"
            f"<p>事件ID：{token[:24]}</p><p>如果您是网站管理员，请登录创宇盾查看详情</p></div>"
            "</body></html>"
        )
        return Response(403, body.encode())
    raise ValueError(f"unknown WAF kind {kind!r}")
