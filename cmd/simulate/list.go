package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/scenarios"
)

func newListCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the library scenarios, one per line: name and description",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			for _, en := range scenarios.Library() {
				fmt.Fprintf(tw, "%s\t%s\n", en.Name, oneLine(en.Description))
			}
			return tw.Flush()
		},
	}
}

func newSchemaCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the scenario file schema (Markdown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(e.stdout, scenarios.SchemaDoc())
			return err
		},
	}
}
