#!KAMAILIO
# Test trunk for Ringback: tests/sip/kamailio.py fills in the port, auth and routes.
# No database: routes and passwords are written into the routes below.

debug=2
log_stderror=yes
# One UDP worker: two workers could forward back-to-back requests of one dialog (an ACK and
# the re-INVITE right after it) out of order.
children=1
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
listen=udp:@HOST@:@PORT@
listen=tcp:@HOST@:@PORT@
alias="@HOST@:@PORT@"

loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"

request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    # Readiness ping from the harness: OPTIONS to the proxy itself.
    if (is_method("OPTIONS") && uri == myself && $rU == $null) {
        sl_send_reply("200", "Keepalive");
        exit;
    }
    # tm answers the CANCEL and cancels the forwarded branch (which answers 487).
    if (is_method("CANCEL")) {
        if (t_check_trans()) {
            route(RELAY);
        }
        exit;
    }
    # Retransmissions of a request being processed, or of one already forwarded, stop here.
    if (!is_method("ACK")) {
        if (t_precheck_trans()) {
            t_check_trans();
            exit;
        }
        t_check_trans();
    }
    if (has_totag()) {
        route(WITHINDLG);
        exit;
    }
    remove_hf("Route");
    if (is_method("INVITE")) {
        record_route();
    }
    route(AUTH);
    route(PREFIX);
}

# In-dialog requests follow the Record-Route set; an ACK without one (for a negative reply)
# belongs to a transaction here and is absorbed by tm.
route[WITHINDLG] {
    if (loose_route()) {
        route(RELAY);
    }
    if (is_method("ACK")) {
        if (t_check_trans()) {
            route(RELAY);
        }
        exit;
    }
    sl_send_reply("404", "Not here");
    exit;
}

route[AUTH] {
@AUTH@
}

route[PREFIX] {
@ROUTES@
    xlog("L_INFO", "no route for $rU\n");
    sl_send_reply("404", "No Route");
    exit;
}

route[RELAY] {
    if (!t_relay()) {
        sl_reply_error();
    }
    exit;
}
