package emailsend

import (
	"bufio"
	"net"
	"os"
	"strings"
	"testing"

	"nodeforge.dev/catalog/nf"
)

// sink accepts one SMTP session and returns what DATA carried.
func sink(t *testing.T) (addr string, data <-chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 1)
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		c.Write([]byte("220 sink\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"):
				c.Write([]byte("250-sink\r\n250 8BITMIME\r\n"))
			case cmd == "DATA":
				c.Write([]byte("354 go\r\n"))
				var b strings.Builder
				for {
					l, _ := r.ReadString('\n')
					if l == ".\r\n" || l == "" {
						break
					}
					b.WriteString(l)
				}
				out <- b.String()
				c.Write([]byte("250 ok\r\n"))
			case cmd == "QUIT":
				c.Write([]byte("221 bye\r\n"))
				return
			default:
				c.Write([]byte("250 ok\r\n"))
			}
		}
	}()
	return ln.Addr().String(), out
}

func TestRunSendsOneMessage(t *testing.T) {
	addr, data := sink(t)
	host, port, _ := net.SplitHostPort(addr)
	os.Setenv("NODEFORGE_CONNECTOR_MAIL_HOST", host)
	os.Setenv("NODEFORGE_CONNECTOR_MAIL_PORT", port)
	id, err := Run(nf.TestExec(), "mail", Message{From: "a@x.test", To: "b@y.test, c@y.test", Subject: "Hé", Body: "line1\nline2"})
	if err != nil || !strings.HasSuffix(id, "@x.test>") {
		t.Fatalf("%q %v", id, err)
	}
	got := <-data
	for _, want := range []string{"To: b@y.test, c@y.test\r\n", "Subject: =?utf-8?q?H=C3=A9?=\r\n", "line1\r\nline2\r\n", "Message-ID: " + id} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}

func TestRunRejectsHeaderInjection(t *testing.T) {
	os.Setenv("NODEFORGE_CONNECTOR_MAIL2_HOST", "127.0.0.1")
	_, err := Run(nf.TestExec(), "mail2", Message{From: "a@x.test", To: "b@y.test\r\nBcc: evil@z.test", Subject: "s"})
	if ne := nf.AsNodeError(err); ne.Code != "invalid" {
		t.Fatalf("%+v", ne)
	}
}
