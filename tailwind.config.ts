import type { Config } from "tailwindcss";

// Colours follow the NHS identity palette; contrast pairs were chosen for WCAG 2.2 AA.
export default {
  content: ["./app/**/*.{ts,tsx}"],
  theme: {
    extend: {
      colors: {
        nhs: {
          blue: "#005eb8",
          "dark-blue": "#003087",
          "bright-blue": "#0072ce",
          "light-blue": "#41b6e6",
          "pale-grey": "#e8edee",
          "mid-grey": "#768692",
          "dark-grey": "#425563",
          black: "#212b32",
          green: "#007f3b",
          red: "#d5281b",
          "warm-yellow": "#ffb81c",
          yellow: "#ffeb3b",
        },
      },
      fontFamily: {
        sans: ["Arial", "Helvetica", "sans-serif"],
      },
    },
  },
} satisfies Config;
