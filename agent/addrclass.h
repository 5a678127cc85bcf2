/*
 * agent/addrclass.h - what kind of address an MX host resolves to.
 *
 * Classifies IPv4 and IPv6 addresses by the IANA special-purpose registries
 * (RFC 6890 and its updates) into the classes a mail host must not sit in:
 * private, loopback, link-local, shared (RFC 6598), unspecified, multicast,
 * reserved, broadcast and unique-local. The documentation ranges
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are
 * deliberately public here: test labs use them. An IPv4-mapped IPv6 address
 * (::ffff:0:0/96) is classified by the IPv4 address it carries.
 *
 * Also here: reading an IP address literal written where a host name
 * belongs (an MX target "192.0.2.1."), prefix matching for extra ranges
 * given by option, and the reverse-mapping name (in-addr.arpa, ip6.arpa) of
 * an address. Pure functions; nothing allocates.
 */
#ifndef VANTAGE_AGENT_ADDRCLASS_H
#define VANTAGE_AGENT_ADDRCLASS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest reverse name: 32 nibbles with dots, "ip6.arpa.", NUL. */
#define ADDRCLASS_REVERSE_MAX 74
/* Buffer size for an address in text (INET6_ADDRSTRLEN). */
#define ADDRCLASS_TEXT_MAX 46

/* Class of an address; everything but ADDRCLASS_PUBLIC is not reachable as a mail host. */
typedef enum addrclass_kind {
    ADDRCLASS_PUBLIC = 0,       /* globally reachable, or a documentation range */
    ADDRCLASS_PRIVATE = 1,      /* RFC 1918: 10/8, 172.16/12, 192.168/16 */
    ADDRCLASS_LOOPBACK = 2,     /* 127/8, ::1 */
    ADDRCLASS_LINK_LOCAL = 3,   /* 169.254/16, fe80::/10 */
    ADDRCLASS_SHARED = 4,       /* 100.64/10, carrier-grade NAT (RFC 6598) */
    ADDRCLASS_UNSPECIFIED = 5,  /* 0/8, :: */
    ADDRCLASS_MULTICAST = 6,    /* 224/4, ff00::/8 */
    ADDRCLASS_RESERVED = 7,     /* 240/4 except the broadcast address */
    ADDRCLASS_BROADCAST = 8,    /* 255.255.255.255 */
    ADDRCLASS_UNIQUE_LOCAL = 9, /* fc00::/7 (RFC 4193) */
} addrclass_kind;

/*
 * Class of an address: family AF_INET (addr holds 4 bytes) or AF_INET6
 * (16 bytes), network byte order. An unknown family is ADDRCLASS_PUBLIC.
 */
addrclass_kind addrclass_classify(int family, const unsigned char *addr);

/* Words for a class, for messages: "private (RFC 1918)", "loopback", ... */
const char *addrclass_name(addrclass_kind kind);

/*
 * True when addr (family, bytes as above) lies in net/prefix of the same
 * family. A prefix longer than the family's width never matches.
 */
bool addrclass_in_prefix(int family, const unsigned char *addr, int net_family,
                         const unsigned char *net, unsigned prefix);

/*
 * True when a host name is an IP address literal: the name without its
 * trailing dot, without surrounding brackets and without an "IPv6:" prefix
 * (RFC 5321 §4.1.3 spellings) parses as an IPv4 or IPv6 address. The
 * address goes to *family and addr[16] when they are not NULL.
 */
bool addrclass_literal(const char *name, int *family, unsigned char *addr);

/*
 * True when the first four labels of name form a dotted-quad IPv4 address
 * and more labels follow: what a zone file makes of an address written
 * without a trailing dot ("192.0.2.1.example.com."). The address goes to
 * addr[4] when it is not NULL. Such a name may still be a real host (some
 * services answer for names like this), so callers look it up first.
 */
bool addrclass_literal_with_origin(const char *name, unsigned char *addr);

/*
 * Reverse-mapping name of an address into out[outlen]: "d.c.b.a.in-addr.arpa."
 * for IPv4, 32 nibbles and "ip6.arpa." for IPv6 (RFC 3596 §2.5), lower case.
 * Returns false when the family is unknown or outlen is too small
 * (ADDRCLASS_REVERSE_MAX is always enough).
 */
bool addrclass_reverse_name(int family, const unsigned char *addr, char *out, size_t outlen);

/*
 * Address in text into out[outlen] (ADDRCLASS_TEXT_MAX is enough); "?"
 * when it cannot be presented.
 */
const char *addrclass_to_text(int family, const unsigned char *addr, char *out, size_t outlen);

#endif
