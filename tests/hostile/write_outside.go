func Run(ctx context.Context, in Input) (Output, error) {
	out := Output{}
	paths := []string{"/usr/pwned", "/etc/pwned", "/root/pwned", "/var/tmp/pwned", "/pwned", "/tmp/work/../../pwned"}
	for _, p := range in["paths"].([]any) {
		paths = append(paths, p.(string))
	}
	for _, p := range paths {
		if err := os.WriteFile(p, []byte("pwned"), 0o644); err != nil {
			out[p] = "error: " + err.Error()
		} else {
			out[p] = "written"
		}
	}
	// Writing inside the work directory is allowed.
	if err := os.WriteFile("/tmp/work/ok.txt", []byte("fine"), 0o644); err != nil {
		out["work"] = "error: " + err.Error()
	} else {
		out["work"] = "written"
	}
	return out, nil
}
