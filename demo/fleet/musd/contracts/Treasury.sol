// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";
import "./Interfaces.sol";

/// Holds the USDC backing mUSD: an idle reserve plus amounts deployed to
/// strategies, whose value strategists report. totalAssets() is what the
/// runbook's reserve-ratio formula divides by MUSD.totalSupply(); it is in
/// the reserve asset's units (see decimals()).
contract Treasury is AccessRoles {
    bytes32 public constant STRATEGIST_ROLE = keccak256("STRATEGIST_ROLE");
    bytes32 public constant VAULT_ROLE = keccak256("VAULT_ROLE");

    struct StrategyInfo {
        bool active;
        uint256 principal;
        uint256 currentValue;
        uint256 lastReport;
    }

    IERC20Like public immutable asset;
    address[] private _strategies;
    mapping(address => StrategyInfo) private _info;

    event StrategyAdded(address indexed strategy);
    event Allocated(address indexed strategy, uint256 amount);
    event StrategyReported(address indexed strategy, uint256 oldValue, uint256 newValue);
    event Withdrawn(address indexed to, uint256 amount);

    constructor(address asset_) {
        asset = IERC20Like(asset_);
        _grantRole(STRATEGIST_ROLE, msg.sender);
    }

    function decimals() external view returns (uint8) {
        return asset.decimals();
    }

    function reserveBalance() public view returns (uint256) {
        return asset.balanceOf(address(this));
    }

    function totalAssets() external view returns (uint256 total) {
        total = reserveBalance();
        for (uint256 i = 0; i < _strategies.length; i++) {
            total += _info[_strategies[i]].currentValue;
        }
    }

    function strategyCount() external view returns (uint256) {
        return _strategies.length;
    }

    function strategyAt(uint256 index) external view returns (address) {
        return _strategies[index];
    }

    function getStrategyReport(address strategy)
        external
        view
        returns (uint256 principal, uint256 currentValue, int256 pnl, uint256 lastReport)
    {
        StrategyInfo memory s = _info[strategy];
        require(s.active, "Treasury: unknown strategy");
        return (s.principal, s.currentValue, int256(s.currentValue) - int256(s.principal), s.lastReport);
    }

    function addStrategy(address strategy) external onlyAdmin {
        require(strategy != address(0), "Treasury: zero address");
        require(!_info[strategy].active, "Treasury: strategy exists");
        _info[strategy] = StrategyInfo(true, 0, 0, block.timestamp);
        _strategies.push(strategy);
        emit StrategyAdded(strategy);
    }

    function allocate(address strategy, uint256 amount) external {
        require(hasRole(STRATEGIST_ROLE, msg.sender), "AccessControl: not strategist");
        StrategyInfo storage s = _info[strategy];
        require(s.active, "Treasury: unknown strategy");
        require(asset.transfer(strategy, amount), "Treasury: transfer failed");
        s.principal += amount;
        s.currentValue += amount;
        s.lastReport = block.timestamp;
        emit Allocated(strategy, amount);
    }

    /// A strategy's value as marked by the strategist (gain or loss).
    function reportStrategy(address strategy, uint256 newValue) external {
        require(hasRole(STRATEGIST_ROLE, msg.sender), "AccessControl: not strategist");
        StrategyInfo storage s = _info[strategy];
        require(s.active, "Treasury: unknown strategy");
        emit StrategyReported(strategy, s.currentValue, newValue);
        s.currentValue = newValue;
        s.lastReport = block.timestamp;
    }

    /// Pays redemptions out of the idle reserve (DirectMintV2 holds VAULT_ROLE).
    function withdrawTo(address to, uint256 amount) external {
        require(hasRole(VAULT_ROLE, msg.sender), "AccessControl: not vault");
        require(reserveBalance() >= amount, "Treasury: insufficient reserve");
        require(asset.transfer(to, amount), "Treasury: transfer failed");
        emit Withdrawn(to, amount);
    }
}
