// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Minimal role registry for the mUSD simulator (no external libraries).
/// Reverts with readable reason strings so chat-ops can show them verbatim.
abstract contract AccessRoles {
    bytes32 public constant DEFAULT_ADMIN_ROLE = 0x00;

    mapping(bytes32 => mapping(address => bool)) private _roles;

    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    modifier onlyAdmin() {
        require(_roles[DEFAULT_ADMIN_ROLE][msg.sender], "AccessControl: not admin");
        _;
    }

    function hasRole(bytes32 role, address account) public view returns (bool) {
        return _roles[role][account];
    }

    function grantRole(bytes32 role, address account) external onlyAdmin {
        _grantRole(role, account);
    }

    function revokeRole(bytes32 role, address account) external onlyAdmin {
        if (_roles[role][account]) {
            _roles[role][account] = false;
            emit RoleRevoked(role, account, msg.sender);
        }
    }

    function _grantRole(bytes32 role, address account) internal {
        if (!_roles[role][account]) {
            _roles[role][account] = true;
            emit RoleGranted(role, account, msg.sender);
        }
    }
}

/// PAUSER_ROLE-gated circuit breaker shared by BorrowModule, SMUSD,
/// DirectMintV2 and BLEBridgeV9 (the four contracts the runbook pauses).
abstract contract PausableRoles is AccessRoles {
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    bool private _paused;

    event Paused(address account);
    event Unpaused(address account);

    constructor() {
        _grantRole(PAUSER_ROLE, msg.sender);
    }

    modifier onlyPauser() {
        require(hasRole(PAUSER_ROLE, msg.sender), "AccessControl: not pauser");
        _;
    }

    modifier whenNotPaused() {
        require(!_paused, "Pausable: paused");
        _;
    }

    modifier whenPaused() {
        require(_paused, "Pausable: not paused");
        _;
    }

    function paused() public view returns (bool) {
        return _paused;
    }

    function pause() external onlyPauser whenNotPaused {
        _paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyPauser whenPaused {
        _paused = false;
        emit Unpaused(msg.sender);
    }
}
