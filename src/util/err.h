/* \summary: the one error catalogue: enum, name and message from one list
 * (s2n's ERR_ENTRIES, tig's STATUS_CODE_INFO). Functions return 0 or -MX_E_x. */
#ifndef SRC_UTIL_ERR_H
#define SRC_UTIL_ERR_H

#define MX_ERRORS(X)                                               \
	X(OK, "success")                                           \
	X(TIMEOUT, "timed out")                                    \
	X(CLOSED, "connection closed by the server")               \
	X(RESET, "connection reset by the server")                 \
	X(REFUSED, "connection refused")                           \
	X(UNREACHABLE, "network or host unreachable")              \
	X(IO, "input/output error")                                \
	X(LINE_TOO_LONG, "line longer than the limit")             \
	X(REPLY_TOO_LONG, "reply with too many lines")             \
	X(BAD_REPLY, "malformed reply")                            \
	X(SERVICE_UNAVAILABLE, "the server refused service (421)") \
	X(REJECTED, "the server rejected the command")             \
	X(DNS, "name resolution failed")                           \
	X(NXDOMAIN, "no such host")                                \
	X(TLS, "TLS error")                                        \
	X(TLS_ALERT, "TLS alert received")                         \
	X(USAGE, "usage error")                                    \
	X(NOMEM, "out of memory")                                  \
	X(INTERNAL, "internal error")                              \
	X(NO_SLOT, "no connection slot within the target's deadline (connection caps)")

enum mx_err {
#define MX_ERR_ENUM(name, msg) MX_E_##name,
	MX_ERRORS(MX_ERR_ENUM)
#undef MX_ERR_ENUM
	MX_E__COUNT
};

/* Message for a code, accepts either sign. */
const char *mx_strerror(int code);
/* Stable short name ("TIMEOUT"), accepts either sign. */
const char *mx_errname(int code);

#endif
