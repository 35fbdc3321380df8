#!/usr/bin/env python3
"""Writes signed Twilio inbound-SMS webhook requests for the load benchmark.

wrk's Lua has no HMAC, so every request is made here, before the run: a form
body with the fields Twilio posts, a MessageSid never used before, a From that
is mostly a texter not seen before (new-texter traffic) and otherwise one of
the last few thousand, a Body from texts.txt, and the X-Twilio-Signature that
Twilio computes for it (base64 HMAC-SHA1, keyed with the auth token, of the
URL followed by every parameter name and value, sorted by name: what
gateway/signature.cpp and twilio.validateRequest check).

Output, one file per wrk thread (PREFIX.0.req, PREFIX.1.req, ...), one request
a line: SIGNATURE<TAB>BODY, BODY url-encoded as Twilio sends it. Requests are
dealt to the threads in turn, so together the threads replay one sequence.

  gen_requests.py --auth-token T --url https://h/sms/twilio --texts texts.txt \
      --count 200000 --threads 2 --out /tmp/x/main --first 0
"""

import argparse
import base64
import hashlib
import hmac
import random
import sys
import urllib.parse

# Where texters text from: FromCountry, FromState, FromCity, FromZip.
CITIES = [
    ("US", "CA", "SAN FRANCISCO", "94105"),
    ("US", "TX", "AUSTIN", "73301"),
    ("US", "NY", "NEW YORK", "10001"),
    ("US", "IL", "CHICAGO", "60601"),
    ("US", "FL", "MIAMI", "33101"),
    ("US", "WA", "SEATTLE", "98101"),
]
TO_NUMBER = "+15550001111"
ACCOUNT_SID = "AC" + "0" * 32


def texter_number(n):
    # +1 555 plus seven digits: ten million numbers, never a real one.
    return "+1555%07d" % (n % 10_000_000)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--auth-token", required=True)
    p.add_argument("--url", required=True, help="the URL Twilio signs: public URL + /sms/twilio")
    p.add_argument("--texts", required=True, help="one texter message a line")
    p.add_argument("--count", type=int, required=True, help="requests to write")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True, help="file prefix: PREFIX.<thread>.req")
    p.add_argument("--first", type=int, default=0,
                   help="index of the first request: MessageSids and new numbers continue from it, "
                        "so runs written with --first 0, N, ... never share a sid or a new number")
    p.add_argument("--run-id", default="0", help="8 hex digits in every MessageSid of this run")
    p.add_argument("--new-share", type=float, default=0.75,
                   help="share of texts from a number never seen before (default 0.75)")
    p.add_argument("--recent", type=int, default=5000,
                   help="the other texts come from one of the last N new numbers (default 5000)")
    p.add_argument("--seed", type=int, default=8)
    a = p.parse_args()

    with open(a.texts, encoding="utf-8") as f:
        texts = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    if not texts:
        sys.exit("gen_requests: no texts in " + a.texts)
    run_id = int(a.run_id, 16) & 0xFFFFFFFF

    rng = random.Random(a.seed * 1_000_003 + a.first)
    key = a.auth_token.encode()
    url = a.url
    outs = [open("%s.%d.req" % (a.out, t), "w", encoding="utf-8", newline="\n")
            for t in range(a.threads)]
    # A new number is numbered by the request that first uses it (request i's
    # number, if new, is i), so runs written with different --first never
    # share one; a repeat is one of the last `recent` new numbers.
    quote = urllib.parse.quote_plus
    recent = []  # ring of the last `recent` new numbers
    # A real inbound webhook's fields, in the order Twilio posts them; only
    # From, Body, the sids and where the texter is change. The names never
    # change: sort them once, and sign and encode from templates (a few
    # hundred thousand requests are written per run).
    names = ["ToCountry", "ToState", "SmsMessageSid", "NumMedia", "ToCity", "FromZip", "SmsSid",
             "FromState", "SmsStatus", "FromCity", "Body", "FromCountry", "To", "ToZip",
             "NumSegments", "ReferralNumMedia", "MessageSid", "AccountSid", "From", "ApiVersion"]
    order = sorted(range(len(names)), key=lambda k: names[k])
    signed_template = "".join(names[k] + "{%d}" % k for k in order)
    body_template = "&".join(quote(n) + "={%d}" % k for k, n in enumerate(names))
    texts_q = [(t, quote(t)) for t in texts]
    cities_q = [tuple(quote(x) for x in c) for c in CITIES]
    keyed = hmac.new(key, url.encode(), hashlib.sha1)  # the URL comes first, always
    for i in range(a.first, a.first + a.count):
        if recent and rng.random() >= a.new_share:
            number = rng.choice(recent)
        else:
            number = texter_number(i)
            if len(recent) < a.recent:
                recent.append(number)
            else:
                recent[i % a.recent] = number
        sid = "SM%08x%024x" % (run_id, i)
        c = i % len(CITIES)
        country, state, city, zipcode = CITIES[c]
        qcountry, qstate, qcity, qzip = cities_q[c]
        text, qtext = texts_q[rng.randrange(len(texts_q))]
        values = ["US", "CA", sid, "0", "SAN FRANCISCO", zipcode, sid, state, "received", city,
                  text, country, TO_NUMBER, "94105", "1", "0", sid, ACCOUNT_SID, number,
                  "2010-04-01"]
        qvalues = ["US", "CA", sid, "0", "SAN+FRANCISCO", qzip, sid, qstate, "received", qcity,
                   qtext, qcountry, quote(TO_NUMBER), "94105", "1", "0", sid, ACCOUNT_SID,
                   quote(number), "2010-04-01"]
        h = keyed.copy()
        h.update(signed_template.format(*values).encode())
        signature = base64.b64encode(h.digest()).decode()
        outs[(i - a.first) % a.threads].write(signature + "\t" + body_template.format(*qvalues) + "\n")
    for f in outs:
        f.close()


if __name__ == "__main__":
    main()
