package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"landscape/cpu"
	"landscape/internal/buildinfo"
)

func init() { extraCommands = append(extraCommands, versionCmd) }

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the build (commit, Go version) and the CPU kernels this machine can use",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := cpu.UseKernelsFromEnv(); err != nil {
				return err
			}
			fmt.Print(buildinfo.Read())
			return nil
		},
	}
}
