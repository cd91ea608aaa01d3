func Run(ctx context.Context, in Input) (Output, error) {
	for i := 0; i < 4; i++ {
		go func() {
			x := 0
			for {
				x++
			}
		}()
	}
	x := 0
	for {
		x++
	}
}
