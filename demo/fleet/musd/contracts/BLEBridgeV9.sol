// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";
import "./Interfaces.sol";

/// Canton -> Ethereum bridge. The relayer submits attestations of Canton
/// assets signed by validators (quorum: minSignatures of the validator set,
/// 2 of 3 by default); each one resets the mUSD supply cap to
/// cantonAssets / collateralRatio. The admin rotates the relayer key
/// (updateRelayer) and validator keys (updateValidator).
contract BLEBridgeV9 is PausableRoles {
    IMUSD public immutable musd;
    address public relayer;
    address[] public validators;
    uint256 public minSignatures;

    uint256 public collateralRatioBps = 11000;
    uint256 public attestedCantonAssets;
    uint256 public currentNonce;
    uint256 public lastAttestationTime;
    mapping(bytes32 => bool) public usedAttestationIds;

    event RelayerUpdated(address indexed oldRelayer, address indexed newRelayer);
    event ValidatorUpdated(uint256 indexed index, address indexed oldValidator, address indexed newValidator);
    event MinSignaturesUpdated(uint256 oldValue, uint256 newValue);
    event AttestationReceived(bytes32 indexed id, uint256 cantonAssets, uint256 newSupplyCap, uint256 nonce, uint256 timestamp);

    constructor(address musd_, address relayer_, address[] memory validators_, uint256 minSignatures_) {
        require(relayer_ != address(0), "BLEBridge: zero address");
        require(minSignatures_ >= 2 && minSignatures_ <= validators_.length, "BLEBridge: bad quorum");
        musd = IMUSD(musd_);
        relayer = relayer_;
        for (uint256 i = 0; i < validators_.length; i++) {
            require(validators_[i] != address(0), "BLEBridge: zero address");
            require(!isValidator(validators_[i]), "BLEBridge: duplicate validator");
            validators.push(validators_[i]);
        }
        minSignatures = minSignatures_;
    }

    function validatorCount() external view returns (uint256) {
        return validators.length;
    }

    function isValidator(address account) public view returns (bool) {
        for (uint256 i = 0; i < validators.length; i++) {
            if (validators[i] == account) return true;
        }
        return false;
    }

    function updateRelayer(address newRelayer) external onlyAdmin {
        require(newRelayer != address(0), "BLEBridge: zero address");
        emit RelayerUpdated(relayer, newRelayer);
        relayer = newRelayer;
    }

    function updateValidator(uint256 index, address newValidator) external onlyAdmin {
        require(index < validators.length, "BLEBridge: bad validator index");
        require(newValidator != address(0), "BLEBridge: zero address");
        require(!isValidator(newValidator), "BLEBridge: duplicate validator");
        emit ValidatorUpdated(index, validators[index], newValidator);
        validators[index] = newValidator;
    }

    function setMinSignatures(uint256 value) external onlyAdmin {
        require(value >= 2 && value <= validators.length, "BLEBridge: bad quorum");
        emit MinSignaturesUpdated(minSignatures, value);
        minSignatures = value;
    }

    /// The digest validators sign (as an EIP-191 personal message).
    function attestationHash(bytes32 id, uint256 cantonAssets, uint256 nonce, uint256 timestamp)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(id, cantonAssets, nonce, timestamp, block.chainid, address(this)));
    }

    /// Signatures must come from distinct validators, sorted by signer address.
    function processAttestation(
        bytes32 id,
        uint256 cantonAssets,
        uint256 nonce,
        uint256 timestamp,
        bytes[] calldata signatures
    ) external whenNotPaused {
        require(msg.sender == relayer, "BLEBridge: not relayer");
        require(signatures.length >= minSignatures, "BLEBridge: insufficient signatures");
        require(nonce == currentNonce + 1, "BLEBridge: invalid nonce");
        require(!usedAttestationIds[id], "BLEBridge: attestation reused");
        require(cantonAssets > 0, "BLEBridge: zero assets");
        require(timestamp <= block.timestamp, "BLEBridge: future timestamp");

        bytes32 digest = keccak256(
            abi.encodePacked("\x19Ethereum Signed Message:\n32", attestationHash(id, cantonAssets, nonce, timestamp))
        );
        address last = address(0);
        for (uint256 i = 0; i < signatures.length; i++) {
            address signer = _recover(digest, signatures[i]);
            require(isValidator(signer), "BLEBridge: invalid validator");
            require(signer > last, "BLEBridge: unsorted signatures");
            last = signer;
        }

        usedAttestationIds[id] = true;
        currentNonce = nonce;
        lastAttestationTime = timestamp;
        attestedCantonAssets = cantonAssets;
        uint256 newCap = (cantonAssets * 10000) / collateralRatioBps;
        musd.setSupplyCap(newCap);
        emit AttestationReceived(id, cantonAssets, newCap, nonce, timestamp);
    }

    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address signer) {
        require(sig.length == 65, "BLEBridge: bad signature length");
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        require(
            uint256(s) <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0,
            "BLEBridge: bad signature"
        );
        require(v == 27 || v == 28, "BLEBridge: bad signature");
        signer = ecrecover(digest, v, r, s);
        require(signer != address(0), "BLEBridge: bad signature");
    }
}
