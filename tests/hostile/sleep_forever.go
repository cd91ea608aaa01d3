func Run(ctx context.Context, in Input) (Output, error) {
	// Ignores its context on purpose.
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for {
		time.Sleep(time.Hour)
	}
}
