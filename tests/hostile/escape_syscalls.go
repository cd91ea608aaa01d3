func Run(ctx context.Context, in Input) (Output, error) {
	out := Output{}
	record := func(name string, err error) {
		if err == nil {
			out[name] = "allowed"
		} else {
			out[name] = err.Error()
		}
	}
	record("unshare_user", syscall.Unshare(syscall.CLONE_NEWUSER))
	record("unshare_net", syscall.Unshare(syscall.CLONE_NEWNET))
	record("mount", syscall.Mount("tmpfs", "/tmp/work", "tmpfs", 0, ""))
	record("ptrace", syscall.PtraceAttach(1))
	record("chroot", syscall.Chroot("/tmp"))
	record("setuid0", syscall.Setuid(0))
	_, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW, 0)
	record("netlink", err)
	_, err = syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0)
	record("packet", err)
	_, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	record("udp", err)
	// Families a network namespace does not cover: the hypervisor's host, kernel crypto.
	_, err = syscall.Socket(40, syscall.SOCK_STREAM, 0) // AF_VSOCK
	record("vsock", err)
	_, err = syscall.Socket(38, syscall.SOCK_SEQPACKET, 0) // AF_ALG
	record("alg", err)
	return out, nil
}
