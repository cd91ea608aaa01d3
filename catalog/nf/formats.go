package nf

import "strings"

// The string formats schemas enforce (JSON Schema 2020-12 treats format as an annotation by
// default; Nodeforge asserts these). One implementation each, byte for byte the simulator's
// (nodeforge.sandbox.schemacheck): ASCII digits only, no library parsers whose edge cases
// differ between languages.
//
//   - email: RFC 5321 Mailbox: a dot-atom or quoted-string local part, a host name or an
//     address literal ([127.0.0.1], [IPv6:::1]);
//   - date: RFC 3339 full-date; time: RFC 3339 full-time (a leap second only at 23:59:60
//     UTC, offsets up to 23:59, "z" as well as "Z"); date-time: date "T" time ("t" too);
//   - uuid: RFC 9562 text form, 8-4-4-4-12 hex digits, nothing after;
//   - uri: RFC 3986 URI (absolute, with a scheme; ASCII only: an IRI is not a URI).

var formats = map[string]func(string) bool{
	"email":     IsEmail,
	"date":      isDate,
	"time":      isTime,
	"date-time": isDateTime,
	"uuid":      isUUID,
	"uri":       isURI,
}

// KnownFormat reports whether format is one the runtime enforces.
func KnownFormat(format string) bool {
	_, ok := formats[format]
	return ok
}

// FormatOK reports whether s is a valid format (unknown formats accept everything).
func FormatOK(format, s string) bool {
	f, ok := formats[format]
	return !ok || f(s)
}

func formatOK(format, s string) bool { return FormatOK(format, s) }

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

func isTime(s string) bool {
	if len(s) < 9 || s[2] != ':' || s[5] != ':' {
		return false
	}
	h, ok1 := digits(s[:2])
	m, ok2 := digits(s[3:5])
	sec, ok3 := digits(s[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return false
	}
	rest := s[8:]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return false
		}
		offset = oh*60 + om
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return false
	}
	if sec == 60 { // a leap second: 23:59:60 in UTC
		utc := ((h*60+m-offset)%1440 + 1440) % 1440
		return utc == 23*60+59
	}
	return true
}

func isDateTime(s string) bool {
	return len(s) > 11 && (s[10] == 'T' || s[10] == 't') && isDate(s[:10]) && isTime(s[11:])
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isIPv4 is a dotted quad of 0-255 without leading zeros.
func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		n, ok := digits(p)
		if !ok || len(p) > 3 || n > 255 || (len(p) > 1 && p[0] == '0') {
			return false
		}
	}
	return true
}

// isIPv6 is RFC 4291 text form: eight groups of 1-4 hex digits, at most one "::", an IPv4
// address as the last 32 bits.
func isIPv6(s string) bool {
	head, tail, compressed := s, "", false
	if i := strings.Index(s, "::"); i >= 0 {
		head, tail, compressed = s[:i], s[i+2:], true
		if strings.Contains(tail, "::") {
			return false
		}
	}
	groups := 0
	for n, part := range []string{head, tail} {
		if part == "" {
			continue
		}
		fields := strings.Split(part, ":")
		for i, f := range fields {
			last := n == 1 || !compressed
			if last && i == len(fields)-1 && strings.Contains(f, ".") {
				if !isIPv4(f) {
					return false
				}
				groups += 2
				continue
			}
			if len(f) < 1 || len(f) > 4 {
				return false
			}
			for j := 0; j < len(f); j++ {
				if !isHex(f[j]) {
					return false
				}
			}
			groups++
		}
	}
	if compressed {
		return groups < 8
	}
	return groups == 8
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// uriChars: each byte of s is unreserved, a sub-delim or in extra, or starts a %XX escape.
func uriChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || isDigit(c) || strings.IndexByte("-._~", c) >= 0:
		case strings.IndexByte("!$&'()*+,;=", c) >= 0:
		case strings.IndexByte(extra, c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func isURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	rest := s[colon+1:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		if !uriChars(rest[i+1:], ":@/?") {
			return false
		}
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		if !uriChars(rest[i+1:], ":@/?") {
			return false
		}
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if !isAuthority(rest[:end]) {
			return false
		}
		rest = rest[end:]
	}
	return uriChars(rest, ":@/")
}

func isAuthority(a string) bool {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		if !uriChars(a[:at], ":") {
			return false
		}
		a = a[at+1:]
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return false
		}
		host, port = a[1:end], a[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
		if len(host) > 0 && (host[0] == 'v' || host[0] == 'V') {
			dot := strings.IndexByte(host, '.')
			if dot < 2 || dot == len(host)-1 || !uriChars(host[dot+1:], ":") {
				return false
			}
			for i := 1; i < dot; i++ {
				if !isHex(host[i]) {
					return false
				}
			}
		} else if !isIPv6(host) {
			return false
		}
	} else {
		if i := strings.IndexByte(a, ':'); i >= 0 {
			host, port = a[:i], a[i:]
		}
		if !uriChars(host, "") {
			return false
		}
	}
	if port != "" {
		if _, ok := digits(port[1:]); !ok && port != ":" {
			return false
		}
	}
	return true
}

// IsEmail reports whether s is an RFC 5321 Mailbox: a dot-atom or quoted-string local part
// (at most 64 bytes), "@", and a host name (labels of letters, digits and inner hyphens;
// bytes >= 0x80 allowed, for internationalised names) or an address literal.
func IsEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || !(isDotAtom(local) || isQuotedLocal(local)) {
		return false
	}
	if domain[0] == '[' {
		if domain[len(domain)-1] != ']' {
			return false
		}
		lit := domain[1 : len(domain)-1]
		if strings.HasPrefix(lit, "IPv6:") {
			return isIPv6(lit[5:])
		}
		return isIPv4(lit)
	}
	label := 0
	for i := 0; i <= len(domain); i++ {
		if i == len(domain) || domain[i] == '.' {
			if label == 0 || domain[i-1] == '-' || domain[i-label] == '-' {
				return false
			}
			label = 0
			continue
		}
		c := domain[i]
		if !(isAlpha(c) || isDigit(c) || c == '-') && c < 0x80 {
			return false
		}
		label++
	}
	return true
}

func isDotAtom(local string) bool {
	if local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' && prev == '.' {
			return false
		}
		if !atext(c) && c != '.' {
			return false
		}
		prev = c
	}
	return true
}

// isQuotedLocal: "..." of printable ASCII (space included) with \-escapes.
func isQuotedLocal(local string) bool {
	if len(local) < 2 || local[0] != '"' || local[len(local)-1] != '"' {
		return false
	}
	body := local[1 : len(local)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '\\' {
			i++
			if i == len(body) || body[i] < 32 || body[i] > 126 {
				return false
			}
			continue
		}
		if c < 32 || c > 126 || c == '"' {
			return false
		}
	}
	return true
}

func atext(c byte) bool {
	switch {
	case isAlpha(c), isDigit(c), c >= 0x80:
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
