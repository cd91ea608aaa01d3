func Run(ctx context.Context, in Input) (Output, error) {
	out := Output{}
	for _, addr := range []string{"1.1.1.1:80", "8.8.8.8:53", "[2606:4700:4700::1111]:80"} {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			out[addr] = "connected"
			continue
		}
		out[addr] = err.Error()
	}
	if _, err := net.LookupHost("example.com"); err == nil {
		out["dns"] = "resolved"
	}
	if _, err := http.Get("http://example.com/"); err == nil {
		out["http"] = "fetched"
	}
	return out, fmt.Errorf("network: %v", out)
}
