package main

import (
	"context"
	"fmt"
	"net"

	"github.com/threadlinehq/threadline/adapters/console"
)

func (a *app) wireConsole(ctx context.Context) error {
	cfg := a.cfg
	if !cfg.Console.Enabled {
		a.status = append(a.status, statusLine{"console", "off", "console.enabled is false"})
		return nil
	}
	token, err := a.secret(ctx, "admin_token", cfg.Admin.TokenFile, true)
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Admin.Listen)
	if err != nil {
		return listenError("admin.listen", "THREADLINE_ADMIN_LISTEN", cfg.Admin.Listen, err)
	}
	a.adminLn = ln
	s, err := console.New(console.Options{Listener: ln, Token: token, Version: versionString()})
	if err != nil {
		return err
	}
	a.addSurface(s)
	a.status = append(a.status, statusLine{"console", "on", fmt.Sprintf("staff answer with `threadline watch` and `threadline say ID \"text\"` (admin API %s)", cfg.Admin.Listen)})
	return nil
}
