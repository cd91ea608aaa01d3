func Run(ctx context.Context, in Input) (Output, error) {
	line := strings.Repeat("x", 1<<16) + "\n"
	for i := 0; i < 1<<15; i++ { // 2 GiB
		fmt.Print(line)
	}
	return Output{}, nil
}
