/*
 * agent/addrclass.c - what kind of address an MX host resolves to.
 */
#include "agent/addrclass.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* One IPv4 range of the table below. */
typedef struct v4_range {
    unsigned char net[4]; /* network address */
    unsigned prefix;      /* prefix length */
    addrclass_kind kind;  /* class of the addresses in it */
} v4_range;

/* Most specific first: the broadcast address lies inside 240/4. */
static const v4_range v4_ranges[] = {
    {{255, 255, 255, 255}, 32, ADDRCLASS_BROADCAST}, {{0, 0, 0, 0}, 8, ADDRCLASS_UNSPECIFIED},
    {{10, 0, 0, 0}, 8, ADDRCLASS_PRIVATE},           {{100, 64, 0, 0}, 10, ADDRCLASS_SHARED},
    {{127, 0, 0, 0}, 8, ADDRCLASS_LOOPBACK},         {{169, 254, 0, 0}, 16, ADDRCLASS_LINK_LOCAL},
    {{172, 16, 0, 0}, 12, ADDRCLASS_PRIVATE},        {{192, 168, 0, 0}, 16, ADDRCLASS_PRIVATE},
    {{224, 0, 0, 0}, 4, ADDRCLASS_MULTICAST},        {{240, 0, 0, 0}, 4, ADDRCLASS_RESERVED},
};

/* True when the first prefix bits of a and b are equal. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
    unsigned bytes = prefix / 8, bits = prefix % 8;
    if (memcmp(a, b, bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    unsigned char mask = (unsigned char)(0xffu << (8 - bits));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

static addrclass_kind classify_v4(const unsigned char *a)
{
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++) {
        if (prefix_equal(a, v4_ranges[i].net, v4_ranges[i].prefix))
            return v4_ranges[i].kind;
    }
    return ADDRCLASS_PUBLIC;
}

static addrclass_kind classify_v6(const unsigned char *a)
{
    static const unsigned char zero[16];
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, zero, 15) == 0 && a[15] == 0)
        return ADDRCLASS_UNSPECIFIED;
    if (memcmp(a, zero, 15) == 0 && a[15] == 1)
        return ADDRCLASS_LOOPBACK;
    if (memcmp(a, mapped, sizeof mapped) == 0)
        return classify_v4(a + 12);
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return ADDRCLASS_LINK_LOCAL;
    if ((a[0] & 0xfe) == 0xfc)
        return ADDRCLASS_UNIQUE_LOCAL;
    if (a[0] == 0xff)
        return ADDRCLASS_MULTICAST;
    return ADDRCLASS_PUBLIC;
}

addrclass_kind addrclass_classify(int family, const unsigned char *addr)
{
    if (!addr)
        return ADDRCLASS_PUBLIC;
    if (family == AF_INET)
        return classify_v4(addr);
    if (family == AF_INET6)
        return classify_v6(addr);
    return ADDRCLASS_PUBLIC;
}

const char *addrclass_name(addrclass_kind kind)
{
    switch (kind) {
    case ADDRCLASS_PUBLIC:
        return "public";
    case ADDRCLASS_PRIVATE:
        return "private (RFC 1918)";
    case ADDRCLASS_LOOPBACK:
        return "loopback";
    case ADDRCLASS_LINK_LOCAL:
        return "link-local";
    case ADDRCLASS_SHARED:
        return "shared address space for carrier-grade NAT (RFC 6598)";
    case ADDRCLASS_UNSPECIFIED:
        return "unspecified";
    case ADDRCLASS_MULTICAST:
        return "multicast";
    case ADDRCLASS_RESERVED:
        return "reserved";
    case ADDRCLASS_BROADCAST:
        return "broadcast";
    case ADDRCLASS_UNIQUE_LOCAL:
        return "unique-local (RFC 4193)";
    }
    return "unknown";
}

bool addrclass_in_prefix(int family, const unsigned char *addr, int net_family,
                         const unsigned char *net, unsigned prefix)
{
    if (!addr || !net || family != net_family)
        return false;
    unsigned width = family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
    if (width == 0 || prefix > width)
        return false;
    return prefix_equal(addr, net, prefix);
}

bool addrclass_literal(const char *name, int *family, unsigned char *addr)
{
    if (!name)
        return false;
    char buf[ADDRCLASS_TEXT_MAX + 8];
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
        name++;
        len -= 2;
    }
    if (len > 5 && strncasecmp(name, "IPv6:", 5) == 0) {
        name += 5;
        len -= 5;
    }
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, name, len);
    buf[len] = '\0';
    unsigned char tmp[16];
    int fam = AF_INET;
    if (inet_pton(AF_INET, buf, tmp) != 1) {
        fam = AF_INET6;
        if (inet_pton(AF_INET6, buf, tmp) != 1)
            return false;
    }
    if (family)
        *family = fam;
    if (addr)
        memcpy(addr, tmp, fam == AF_INET ? 4 : 16);
    return true;
}

bool addrclass_literal_with_origin(const char *name, unsigned char *addr)
{
    if (!name)
        return false;
    unsigned char tmp[4];
    const char *p = name;
    for (int i = 0; i < 4; i++) {
        unsigned v = 0;
        size_t digits = 0;
        while (isdigit((unsigned char)p[digits])) {
            v = v * 10 + (unsigned)(p[digits] - '0');
            if (++digits > 3)
                return false;
        }
        if (digits == 0 || v > 255 || p[digits] != '.')
            return false;
        tmp[i] = (unsigned char)v;
        p += digits + 1;
    }
    if (*p == '\0')
        return false;
    if (addr)
        memcpy(addr, tmp, sizeof tmp);
    return true;
}

bool addrclass_reverse_name(int family, const unsigned char *addr, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    if (!addr || !out)
        return false;
    if (family == AF_INET) {
        int n =
            snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa.", addr[3], addr[2], addr[1], addr[0]);
        return n > 0 && (size_t)n < outlen;
    }
    if (family != AF_INET6 || outlen < ADDRCLASS_REVERSE_MAX)
        return false;
    char *p = out;
    for (int i = 15; i >= 0; i--) {
        *p++ = hex[addr[i] & 0x0f];
        *p++ = '.';
        *p++ = hex[addr[i] >> 4];
        *p++ = '.';
    }
    memcpy(p, "ip6.arpa.", sizeof "ip6.arpa.");
    return true;
}

const char *addrclass_to_text(int family, const unsigned char *addr, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return "?";
    if (!addr || (family != AF_INET && family != AF_INET6) ||
        !inet_ntop(family, addr, out, (socklen_t)outlen))
        snprintf(out, outlen, "?");
    return out;
}
