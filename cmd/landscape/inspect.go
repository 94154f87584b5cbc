package main

import (
	"os"

	"github.com/spf13/cobra"

	"landscape/model"
)

func init() { extraCommands = append(extraCommands, inspectCmd) }

func inspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect NET.onnx",
		Short: "Show how an ONNX network is imported: layers, fusions, parameter roles, what is unsupported",
		Long: `Imports an ONNX file as scan would and prints the compiled plan: each layer with its input and
output shapes, weight, and what is fused into it (batch norm with its ε, residual add,
activation); the input shape; every parameter with its role for directions (normalised: ≥2
dimensions, scaled per filter by --norm filter; ≤1-dim: zeroed by --ignore biasbn; running
statistic: moved only with --dir-type states). A graph that cannot be imported is listed with
every unsupported operator (count and first node) and every refused node; the exit status is
then 1.`,
		Example: "  landscape inspect resnet18.onnx",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			in, err := model.InspectONNX(args[0])
			if err != nil {
				return err
			}
			in.Write(os.Stdout)
			if in.Refusal != nil {
				return in.Refusal
			}
			return nil
		},
	}
}
