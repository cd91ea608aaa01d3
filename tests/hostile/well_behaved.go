func Run(ctx context.Context, in Input) (Output, error) {
	fmt.Println("plain log line")
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Info("structured", "items", len(in))
	if err := os.WriteFile("/tmp/work/scratch", []byte("ok"), 0o600); err != nil {
		return nil, err
	}
	if in["fail"] == true {
		return nil, errors.New("asked to fail")
	}
	if in["panic"] == true {
		panic("asked to panic")
	}
	return Output{"echo": in, "uid": os.Getuid()}, nil
}
