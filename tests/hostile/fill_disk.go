func Run(ctx context.Context, in Input) (Output, error) {
	chunk := make([]byte, 1<<20)
	written := 0
	for i := 0; ; i++ {
		f, err := os.Create(fmt.Sprintf("/tmp/work/fill-%d", i))
		if err != nil {
			return nil, fmt.Errorf("after %d MiB: %w", written, err)
		}
		for j := 0; j < 8; j++ {
			if _, err := f.Write(chunk); err != nil {
				f.Close()
				return nil, fmt.Errorf("after %d MiB: %w", written, err)
			}
			written++
		}
		f.Close()
	}
}
