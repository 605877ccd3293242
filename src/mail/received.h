/* \summary: the header section of a delivered message and its Received
 * chain: unfolding, one hop per Received header (from where, by whom, with
 * which protocol, when) and the TLS each MTA wrote into it, plus the
 * TLS-relevant parts of Authentication-Results and ARC-Authentication-Results.
 *
 * specification: RFC 5322 sections 2.2 and 2.2.3 (header fields, unfolding),
 * 3.3 (date-time), 3.6.7 (trace fields); RFC 5321 section 4.4 (Received:
 * FROM, BY, VIA, WITH, ID, FOR); RFC 3848 (ESMTPS, ESMTPSA, LMTPS, ...);
 * RFC 6531 section 3.7.3 (UTF8SMTPS ...); RFC 8601 (Authentication-Results);
 * RFC 8617 section 4.1.2 (ARC-Authentication-Results).
 *
 * The TLS clauses are each MTA's own text, not a standard: Postfix
 * "(using TLSv1.3 with cipher X (256/256 bits) ...)", Exim "X=TLS1.3:X:256
 * CV=yes", "(TLS1.3) tls X" and "(TLS1.2:X:256)", Exchange and Office 365
 * "(version=TLS1_2, cipher=X)", Sendmail "(version=TLSv1.3 cipher=X
 * bits=256 verify=OK)", Gmail "(version=TLS1_3 cipher=X bits=128/128)".
 *
 * Plain data; every string in it obeys the one escaping rule (util.h). */
#ifndef SRC_MAIL_RECEIVED_H
#define SRC_MAIL_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Bounds on hostile input. */
#define MAIL_MAX_HEADER_BYTES (1024 * 1024) /* the whole header section */
#define MAIL_MAX_FIELD_BYTES  (64 * 1024)   /* one unfolded field */
#define MAIL_MAX_HOPS	      100	    /* RFC 5321 section 6.3: a loop at 100 hops */
#define MAIL_MAX_AUTH	      32	    /* Authentication-Results fields kept */

enum hop_tls {
	HOP_TLS_UNKNOWN, /* the header says nothing we can read about TLS */
	HOP_TLS_NO,	 /* a protocol keyword without TLS (ESMTP, LMTP, ...) */
	HOP_TLS_YES,	 /* TLS details or a TLS protocol keyword (ESMTPS) */
	HOP_TLS_LOCAL,	 /* no FROM clause: a local submission (pickup), no network */
};
const char *hop_tls_id(enum hop_tls t); /* "unknown", "no", "yes", "local" */

struct mail_hop {
	size_t index;	 /* 1 = the oldest hop (the last Received field) */
	char *raw;	 /* the unfolded field value, escaped, cut at 2000 characters */
	char *from;	 /* the FROM clause as written: "mail.example.org (mail.example.org [192.0.2.1])" */
	char *from_addr; /* the address literal of the sender, when written: "192.0.2.1" */
	char *by;	 /* the BY clause's host */
	char *with;	 /* the WITH protocol keyword as written: "ESMTPS" */
	char *id;
	char *rcpt_for; /* the FOR clause */
	char *date;	/* after the last ';', as written */
	int64_t when;	/* seconds since the epoch; INT64_MIN when unreadable */
	bool loopback;	/* from_addr is 127.0.0.0/8 or ::1 */
	enum hop_tls tls;
	char *tls_style;   /* whose format the details are in: "postfix", "exim", ... */
	char *tls_version; /* as written: "TLSv1.3", "TLS1_2" */
	char *tls_cipher;  /* as written */
	char *tls_bits;	   /* as written: "256/256", "256" */
	char *tls_verify; /* the client certificate's verdict as written: "OK", "CV=yes", "No client certificate requested" */
	bool weak;	  /* version before TLS 1.2, or a weak cipher */
	char *weak_reason; /* why, when weak */
};

struct mail_auth {
	char *field;		 /* "Authentication-Results" or "ARC-Authentication-Results" */
	int arc_instance;	 /* i= of an ARC field, 0 otherwise */
	char *authserv_id;	 /* escaped */
	struct strvec tls_parts; /* the TLS-relevant results: "smtp.auth=...", "x-tls=pass", "arc=pass" */
	char *raw;		 /* the unfolded value, escaped, cut */
};

struct mail_headers {
	struct mail_hop *hops; /* oldest first */
	size_t nhops;
	size_t received_total; /* Received fields seen (beyond MAIL_MAX_HOPS are not kept) */
	struct mail_auth *auth;
	size_t nauth;
	size_t auth_total;
	char *message_id; /* escaped, NULL if none */
	bool truncated;	  /* the header section or a field met its bound */
};

/* Parses one Received field value (unfolded, without the "Received:" name)
 * into hop; bytes of any value are accepted (hostile input), nothing is
 * trusted, every string set is escaped. hop->index is left to the caller. */
void mail_received_parse(const char *value, size_t len, struct mail_hop *hop);
/* Parses an (ARC-)Authentication-Results value into a. */
void mail_auth_parse(const char *field, const char *value, size_t len, struct mail_auth *a);
/* Splits a header section (up to the first empty line, or all of p) into
 * fields, unfolds them (RFC 5322 section 2.2.3: CRLF or LF followed by WSP
 * is removed) and parses the Received and Authentication-Results fields.
 * 0, or -1 when p holds no header field at all (not a message). */
int mail_headers_parse(const char *p, size_t len, struct mail_headers *mh);
/* RFC 5322 section 3.3 date-time to seconds since the epoch (obsolete zone
 * names too); INT64_MIN when it cannot be read. */
int64_t mail_date_parse(const char *s);
/* Is a written TLS version or cipher weak? Sets *why (static text). */
bool mail_tls_is_weak(const char *version, const char *cipher, const char *bits, const char **why);

void mail_hop_clear(struct mail_hop *h);
void mail_auth_clear(struct mail_auth *a);
void mail_headers_clear(struct mail_headers *mh);

#endif
