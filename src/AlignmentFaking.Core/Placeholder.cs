namespace AlignmentFaking; internal static class Placeholder { }
