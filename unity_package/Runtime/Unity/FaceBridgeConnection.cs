using FaceBridge.Core;
using UnityEngine;

namespace FaceBridge
{
    /// <summary>
    /// Connection settings kept in one asset (Assets -> Create -> FaceBridge -> Connection) and shared by every
    /// receiver that points at it: change the port once, every avatar follows. Receivers with equal settings share
    /// one socket (see <see cref="ReceiverPool"/>).
    /// </summary>
    [CreateAssetMenu(fileName = "FaceBridgeConnection", menuName = "FaceBridge/Connection", order = 100)]
    public sealed class FaceBridgeConnection : ScriptableObject
    {
        [Tooltip("FaceBridge: the bridge's own protocol (full data). VMC: blendshapes from any VMC performer.")]
        [SerializeField] ReceiverProtocol _protocol = ReceiverProtocol.FaceBridge;

        [Tooltip("UDP port to listen on. The bridge sends to 39571 by default (VMC: 39539).")]
        [SerializeField] int _port = FacebridgeDecoder.DefaultPort;

        [Tooltip("Local address to bind: 0.0.0.0 = every interface, 127.0.0.1 = this machine only.")]
        [SerializeField] string _bindAddress = "0.0.0.0";

        [Tooltip("Seconds without packets after which the stream counts as disconnected.")]
        [SerializeField] float _connectionTimeout = 1f;

        public ReceiverProtocol Protocol { get { return _protocol; } set { _protocol = value; } }
        public int Port { get { return _port; } set { _port = value; } }
        public string BindAddress { get { return _bindAddress; } set { _bindAddress = value; } }
        public float ConnectionTimeout { get { return _connectionTimeout; } set { _connectionTimeout = value; } }
    }
}
