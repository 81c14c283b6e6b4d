namespace AlignmentFaking.Running;

/// <summary>What a failed call says about its endpoint (see <see cref="EndpointCircuitBreaker"/>).</summary>
public enum EndpointFault
{
    /// <summary>The endpoint replied (an HTTP status or a body), or the failure says nothing about the endpoint.</summary>
    None,

    /// <summary>A connection was made but dropped or reset before a complete reply.</summary>
    ConnectionLost,

    /// <summary>No connection could be made: connection refused, host not found, connection timed out, TLS failed.</summary>
    Unreachable,

    /// <summary>
    /// The endpoint replied, but not in the API's shape (an HTML page, JSON without a choice list): usually a wrong URL.
    /// </summary>
    NotTheApi,
}
