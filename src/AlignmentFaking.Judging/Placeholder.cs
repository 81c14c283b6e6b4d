namespace AlignmentFaking.Judging; internal static class Placeholder { }
